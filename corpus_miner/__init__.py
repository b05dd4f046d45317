"""Mine (doc comment, Rust item) pairs from Rust repositories into a dataset."""
