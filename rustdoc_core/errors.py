"""How an error reads in one line: what users see of an exception the code did not word itself."""

from __future__ import annotations


def squash(text: str) -> str:
    """`text` on one line, its runs of whitespace single spaces."""
    return " ".join(str(text).split())


def one_line(err: BaseException, *, first_line_only: bool = False) -> str:
    """The error's message on one line (only its first line with `first_line_only`: libraries
    that append a request id or a hint below), else the exception's type name."""
    text = str(err)
    if first_line_only and text.strip():
        text = text.strip().splitlines()[0]
    return squash(text) or type(err).__name__


def os_error_text(err: OSError) -> str:
    """An error from the system on one line, naming its file: `src/lib.rs: Permission denied`
    (a rename names both: `a -> b: ...`); the message alone where there is no file."""
    reason = err.strerror or one_line(err)
    names = [str(n) for n in (err.filename, err.filename2) if n is not None]
    text = f"{' -> '.join(names)}: {reason}" if names else reason
    return " ".join(text.splitlines())  # a path keeps its spaces; a line break in one would break the line
