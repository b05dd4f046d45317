"""Which findings are reported, and how bad they are, as a crate configures them.

Three layers, as in ruff and in cargo:

1. the defaults of the findings table (`findings.FINDINGS`: every rule but the style ones that
   are rustdoc-gen's opinion, like `summary-not-sentence`);
2. the crate's rustdoc-gen settings (`rustdoc-gen.toml`, or `[package.metadata.rustdoc-gen]`):
   `select`, `extend-select`, `ignore` (lists of codes) and `[rules]` (a code -> `"off"` or a
   severity), then the command line's `--select` / `--extend-select` / `--ignore` on top;
3. for a code named after a lint (clippy's, rustdoc's, rustc's), the crate's lint levels where
   the item stands (`rust/lint_levels.py`): `allow`/`expect` silence it, `deny`/`forbid` make it
   an error, `warn` a warning, exactly as they would clippy's lint.

A selector is a code (`doc-markdown`), a lint (`clippy::doc_markdown`), a tool (`clippy`,
`rustdoc`, `rustdoc-gen`), a code prefix ending in `-` (`missing-`), or `ALL`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rustdoc_core.docs.findings import FINDINGS, TOOL, FindingRule
from rustdoc_core.docs.section_rules import SEVERITIES
from rustdoc_core.rust.crate_index import CrateIndexes, FileLints
from rustdoc_core.rust.items import RustItem, RustSource
from rustdoc_core.rust.lint_levels import SILENT, LintSettings, level_of

log = logging.getLogger(__name__)

OFF = "off"
CONFIG_KEYS = ("select", "extend-select", "ignore", "rules")


class RuleConfigError(ValueError):
    """A configuration naming an unknown code or severity; the message says where and what."""


def selector_matches(selector: str, rule: FindingRule) -> bool:
    if selector == "ALL" or selector == rule.code:
        return True
    if rule.is_lint and selector in (rule.source, *rule.groups, rule.source.split("::")[0]):
        return True
    if selector == TOOL:
        return not rule.is_lint
    return selector.endswith("-") and rule.code.startswith(selector)


def _check_selectors(selectors: Iterable[str], where: str) -> tuple[str, ...]:
    out = tuple(s.strip() for s in selectors if s.strip())
    for selector in out:
        if not any(selector_matches(selector, rule) for rule in FINDINGS.values()):
            known = ", ".join(code for code, rule in FINDINGS.items() if rule.stage != "guard")
            raise RuleConfigError(f"{where}: unknown rule {selector!r}; known codes: {known}")
    return out


@dataclass(frozen=True)
class RuleSelection:
    """Which codes are on, and at which severity, before the crate's lint levels apply."""

    select: tuple[str, ...] | None = None  # None: the table's defaults
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severities: Mapping[str, str] = field(default_factory=dict)  # code -> severity or OFF

    def enabled(self, code: str) -> bool:
        rule = FINDINGS[code]
        setting = self.severities.get(code)
        if setting is not None:
            return setting != OFF
        if any(selector_matches(s, rule) for s in self.ignore):
            return False
        if self.select is None:
            on = rule.default_on
        else:
            on = any(selector_matches(s, rule) for s in self.select)
        return on or any(selector_matches(s, rule) for s in self.extend_select)

    def severity(self, code: str) -> str:
        setting = self.severities.get(code)
        return setting if setting not in (None, OFF) else FINDINGS[code].severity

    @classmethod
    def from_settings(cls, table: Mapping[str, Any], where: str) -> "RuleSelection":
        """The selection a settings table gives (`select`, `extend-select`, `ignore`, `rules`)."""
        unknown = sorted(set(table) - set(CONFIG_KEYS))
        if unknown:
            raise RuleConfigError(f"{where}: unknown key {unknown[0]!r}; use {', '.join(CONFIG_KEYS)}")

        def codes_list(key: str) -> tuple[str, ...] | None:
            value = table.get(key)
            if value is None:
                return None
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RuleConfigError(f"{where}: `{key}` must be a list of codes")
            return _check_selectors(value, where)

        rules = table.get("rules", {})
        if not isinstance(rules, Mapping):
            raise RuleConfigError(f"{where}: `rules` must be a table of code = \"off\" | {' | '.join(repr(s) for s in SEVERITIES)}")
        severities: dict[str, str] = {}
        for code, value in rules.items():
            if code not in FINDINGS:
                _check_selectors([code], where)  # names the unknown code
            if value not in (OFF, *SEVERITIES):
                raise RuleConfigError(f"{where}: rules.{code} = {value!r}; use \"off\" or one of {', '.join(SEVERITIES)}")
            severities[code] = value
        return cls(codes_list("select"), codes_list("extend-select") or (), codes_list("ignore") or (), severities)

    def with_command_line(
        self, select: Iterable[str] = (), extend_select: Iterable[str] = (), ignore: Iterable[str] = ()
    ) -> "RuleSelection":
        """The selection with the command line's on top: `--select` replaces the selection (and the
        config's per-rule `off`s), `--extend-select` adds, `--ignore` removes, as in ruff."""
        select = _check_selectors(select, "--select")
        extend = _check_selectors(extend_select, "--extend-select")
        ignore = _check_selectors(ignore, "--ignore")
        if select:  # the config's selection, its ignores and its `off`s give way; its severities stay
            kept = {
                code: level for code, level in self.severities.items()
                if level != OFF and any(selector_matches(s, FINDINGS[code]) for s in select)
            }
            base = RuleSelection(select, (), (), kept)
        else:
            base = self
        severities = {  # the command line's --ignore wins over the config's severity
            code: level for code, level in base.severities.items() if not any(selector_matches(s, FINDINGS[code]) for s in ignore)
        }
        return RuleSelection(base.select, base.extend_select + extend, base.ignore + ignore, severities)


@dataclass(frozen=True)
class CommandLineRules:
    """The command line's `--select`, `--extend-select` and `--ignore`, checked."""

    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_selectors(self.select, "--select")
        _check_selectors(self.extend_select, "--extend-select")
        _check_selectors(self.ignore, "--ignore")

    def __bool__(self) -> bool:
        return bool(self.select or self.extend_select or self.ignore)


def resolve_severity(code: str, selection: RuleSelection, settings: LintSettings = ()) -> str | None:
    """The severity a finding of `code` is reported at where `settings` hold, or None when it is off."""
    if not selection.enabled(code):
        return None
    rule = FINDINGS[code]
    severity = selection.severity(code)
    if not rule.is_lint:
        return severity
    level = level_of(settings, rule.lint_names)
    if level in SILENT:
        return None
    if level in ("deny", "forbid"):
        return "error"
    if level == "warn":
        warnings = level_of(settings, ("warnings",))
        if warnings in SILENT:
            return None
        return "error" if warnings in ("deny", "forbid") else "warning"
    return severity


def explicitly_allowed(settings: LintSettings, codes: Collection[str] | None = None) -> frozenset[str]:
    """The lint codes (of `codes`, else all) whose lint `settings` allow or expect by name or group."""
    return frozenset(
        code for code, rule in FINDINGS.items()
        if rule.is_lint and (codes is None or code in codes) and level_of(settings, rule.lint_names) in SILENT
    )


@dataclass
class FileRules:
    """The rules as they hold in one file: the crate's selection, the command line's on top, and
    the lint levels at each item."""

    selection: RuleSelection
    lints: FileLints | None = None

    def settings(self, at: RustItem | int | None = None) -> LintSettings:
        """The lint levels at an item (or a byte of the file; None: the file as a whole)."""
        if self.lints is None:
            return ()
        return self.lints.at(at.start_byte if isinstance(at, RustItem) else at or 0)

    def severity(self, code: str, at: RustItem | int | None = None) -> str | None:
        """The severity of `code` on an item (or at a byte; None: the file as a whole), or None when it is off there."""
        return resolve_severity(code, self.selection, self.settings(at))

    def off_codes(self, item: RustItem) -> frozenset[str]:
        """Codes not reported on `item`: `check --fix` and `generate --update` leave what they
        would fix alone (a section whose lint the crate allows is never added)."""
        return frozenset(code for code in FINDINGS if self.severity(code, item) is None)


def file_rules(
    indexes: CrateIndexes, path: Path, source: RustSource, command_line: CommandLineRules | None = None
) -> FileRules:
    """The rules of file `path` (text `source`) in its crate, the command line's selection on top
    of the crate's settings; raises RuleConfigError for settings that cannot be used."""
    tool = indexes.tool_settings(path)
    if tool.error is not None:
        raise RuleConfigError(tool.error)
    selection = RuleSelection.from_settings(tool.table, tool.origin or "rustdoc-gen settings") if tool.origin else RuleSelection()
    if command_line is not None:
        selection = selection.with_command_line(command_line.select, command_line.extend_select, command_line.ignore)
    return FileRules(selection, indexes.lint_settings(path, source))


def update_rules(indexes: CrateIndexes, path: Path, source: RustSource) -> FileRules:
    """The rules `generate --update` and the editor's fixes follow: the crate's, or (settings that
    cannot be used, which `check` reports) its lint levels with the default selection."""
    try:
        return file_rules(indexes, path, source)
    except RuleConfigError as err:
        log.warning("%s; using the default rules", err)
        return FileRules(RuleSelection(), indexes.lint_settings(path, source))
