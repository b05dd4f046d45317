"""`python -m bench NAME [ARGS...]` runs one benchmark; `python -m bench` lists them."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from bench.harness import print_report


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name not in ("harness", "__main__"))


def main(argv: list[str]) -> int:
    names = available()
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m bench NAME [--json FILE] [ARGS...]\n\nbenchmarks: " + (", ".join(names) or "none yet"))
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in names:
        print(f"error: no benchmark named {name!r}; available: {', '.join(names) or 'none'}", file=sys.stderr)
        return 2
    json_out = None
    if "--json" in rest:
        i = rest.index("--json")
        json_out = rest[i + 1]
        rest = rest[:i] + rest[i + 2 :]
    report = importlib.import_module(f"bench.{name}").run(rest)
    print_report(report)
    if json_out:
        Path(json_out).write_text(report.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
