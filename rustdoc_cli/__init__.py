"""The `rustdoc-gen` command line: the one place that wires every part of the data
flow (miner, trainer, eval, generate, language server) into commands. It depends on
the apps and the core; nothing depends on it."""
