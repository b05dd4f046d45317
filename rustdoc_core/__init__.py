"""rustdoc-gen's shared core: the Rust item model, the prompt format, the doc
checker, the template engine and the generators, used alike by the miner, the
trainer, the eval and the language server."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rustdoc-gen")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"
