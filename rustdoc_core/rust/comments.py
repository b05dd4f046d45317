"""Reading doc comments as rustc does: a `/** */` body without its `*` gutter, the value of a
`#[doc = "..."]` string literal, and rustdoc's unindent of the joined lines."""

from __future__ import annotations

import re


def unindent(lines: list[str]) -> list[str]:
    """Remove the common leading whitespace of the non-blank lines, as rustdoc does."""
    indents = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return [line[cut:] if line.strip() else "" for line in lines]


def strip_block_comment(body: str) -> list[str]:
    """Lines of a `/** ... */` body with rustc's `*` gutter and blank edges removed."""
    lines = body.split("\n")
    while lines and not lines[0].strip().strip("*").strip():
        lines.pop(0)
    while lines and not lines[-1].strip().strip("*").strip():
        lines.pop()
    if lines and all(line.lstrip().startswith("*") for line in lines if line.strip()):
        stripped = []
        for line in lines:
            rest = line.lstrip()
            stripped.append(rest[1:] if rest.startswith("*") else rest)
        lines = stripped
    return [line.rstrip() for line in lines]


def decode_string_literal(literal: str) -> str | None:
    """Value of a Rust string literal (`"a\\n"`, `r#"..."#`); None if it is not one."""
    literal = literal.strip()
    raw = re.fullmatch(r'r(#*)"(.*)"\1', literal, re.S)
    if raw:
        return raw.group(2)
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        return None
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "x":
            out.append(chr(int(body[i + 2 : i + 4], 16)))
            i += 4
        elif nxt == "u":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
        elif nxt == "\n":
            # A line continuation swallows the newline and the next line's indentation.
            i += 2
            while i < len(body) and body[i] in " \t\n\r":
                i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)
