"""Results cached in the report directory, one JSON object a line, so an
interrupted evaluation resumes where it stopped and recomputes nothing it has.

Each line is appended with one `write` on an O_APPEND descriptor and synced: a
kill leaves at worst one torn last line, which is ignored on load."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class JsonlCache:
    """Key -> JSON object, backed by an append-only JSONL file (the last line for a key wins)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.entries: dict[str, dict[str, Any]] = {}
        self._torn_tail = False
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        data = self.path.read_bytes()
        self._torn_tail = bool(data) and not data.endswith(b"\n")
        torn = 0
        for line in data.split(b"\n"):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                self.entries[entry["key"]] = entry
            except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError):
                torn += 1
        if torn:
            log.warning("%s: ignored %d unreadable line(s) (an interrupted write); they will be recomputed", self.path, torn)

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries.get(key)

    def put(self, key: str, value: dict[str, Any]) -> dict[str, Any]:
        entry = {"key": key, **value}
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n"
        if self._torn_tail:
            line = "\n" + line  # start clean after a torn line
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            data = line.encode("utf-8")
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        self._torn_tail = False
        self.entries[key] = entry
        return entry
