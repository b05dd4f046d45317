from rustdoc_core.not_built import not_built

mine = not_built("mine", "Mine (doc comment, item) pairs from Rust repos into a dataset.")
validate = not_built("validate", "Check a mined dataset: schema, splits, counts.")
