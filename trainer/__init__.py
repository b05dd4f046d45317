"""Fine-tune, export and evaluate doc-writing models. Heavy libraries (torch,
transformers, peft, trl) are imported inside the commands that need them."""
