from rustdoc_core.not_built import not_built
from trainer.evaluation.commands import eval_command

train = not_built("train", "LoRA fine-tune Qwen2.5-Coder on a mined dataset.")
export = not_built("export", "Merge, convert to GGUF and quantize a trained model.")

__all__ = ["eval_command", "export", "train"]
