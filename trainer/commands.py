from rustdoc_core.not_built import not_built

train = not_built("train", "LoRA fine-tune Qwen2.5-Coder on a mined dataset.")
export = not_built("export", "Merge, convert to GGUF and quantize a trained model.")
eval_command = not_built("eval", "Compare doc generators side by side on held-out code.")
