from rustdoc_core.not_built import not_built

eval_command = not_built("eval", "Compare doc generators side by side on held-out code.")
