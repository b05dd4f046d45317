"""Where `check` and the real clippy disagreed on Debian's crates (`python -m bench clippy`), each
case in a crate of its own: an item re-exported through a chain of private modules is API (clap's
`ArgMatches`), and an `unwrap` in a `lazy_static!` initializer is no panic of the fn (grep-cli)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from rustdoc_cli.cli import main
from tests.support.crates import write_crate


def _crate(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_crate(tmp_path / "chain", "chain", files)


def _findings(root: Path, select: str) -> set[tuple[str, str]]:
    done = CliRunner().invoke(main, ["check", str(root), "--select", select, "--format", "json", "--fail-on", "never"])
    assert done.exit_code == 0, done.output
    return {(Path(f["path"]).name, f["item"]) for f in json.loads(done.stdout)["findings"]}


def test_an_item_re_exported_through_private_modules_is_the_crates_api(tmp_path):
    root = _crate(tmp_path, {
        "src/lib.rs": "pub mod parser;\npub use crate::parser::Matches;\n",
        "src/parser/mod.rs": "mod matches;\npub use self::matches::{Matches, Indices};\n",
        "src/parser/matches/mod.rs": "mod arg_matches;\npub use arg_matches::{Indices, Matches};\n",
        "src/parser/matches/arg_matches.rs": """\
            /// The matches.
            pub struct Matches;

            /// The indices.
            pub struct Indices;

            /// Hidden in a private module, never re-exported.
            pub struct Private;

            impl Matches {
                /// Non-panicking version of `get`.
                pub fn try_get(&self, id: &str) -> Result<u8, String> {
                    id.parse().map_err(|_| id.to_string())
                }
            }

            impl Private {
                /// Gets it.
                pub fn get(&self, id: &str) -> Result<u8, String> {
                    id.parse().map_err(|_| id.to_string())
                }
            }
        """,
    })
    assert _findings(root, "missing-errors") == {("arg_matches.rs", "fn try_get")}


def test_an_unwrap_in_a_lazy_static_initializer_is_no_panic_of_the_fn(tmp_path):
    root = _crate(tmp_path, {
        "src/lib.rs": """\
            /// Parses a size.
            pub fn parse_size(size: &str) -> Option<u64> {
                lazy_static::lazy_static! {
                    static ref RE: Regex = Regex::new(r"^([0-9]+)$").unwrap();
                }
                RE.captures(size).map(|_| 1)
            }

            /// Parses a count.
            pub fn parse_count(count: &str) -> u64 {
                count.parse().unwrap()
            }
        """,
    })
    assert _findings(root, "missing-panics") == {("lib.rs", "fn parse_count")}
