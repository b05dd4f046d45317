"""Errors are one line of plain text (issue 23, parts 1, 2 and 5): never read as Rich markup,
never a traceback, and a bug of ours says so in one line with a pointer to `-v`."""

from __future__ import annotations

import pytest

from rustdoc_console import UserError
from tests.robustness.cli_runs import assert_one_error_line, invoke, run_process


@pytest.mark.parametrize("name", ["a[/]b", "[bold]x", "[red]", "x:thumbs_up:y", "[link=file:///etc]z[/link]"])
def test_a_path_holding_markup_prints_as_it_is(tmp_path, name):
    missing = tmp_path / name / "lib.rs"
    run = run_process("generate", missing)
    assert run.exit_code == 1, run.why()
    assert run.stderr_lines == [f"error: no such file or directory: {missing}"]


def test_user_error_text_keeps_brackets_and_line_breaks_become_spaces(capsys):
    UserError("the demo needs the [demo] extra: pip install 'rustdoc-gen[demo]'\nsecond line").show()
    assert capsys.readouterr().err == "error: the demo needs the [demo] extra: pip install 'rustdoc-gen[demo]' second line\n"


def test_the_demo_hint_names_its_extra(monkeypatch):
    # The page's libraries, hidden as if the [demo] extra were not installed.
    for module in ("uvicorn", "starlette", "jinja2"):
        monkeypatch.setitem(__import__("sys").modules, module, None)
    monkeypatch.delitem(__import__("sys").modules, "demo_page.app", raising=False)
    run = invoke("demo")
    assert run.exit_code == 1
    assert "pip install 'rustdoc-gen[demo]'" in run.stderr_lines[-1]
    assert "the [demo] extra" in run.stderr_lines[-1]


def test_modules_nested_a_thousand_deep_are_read_not_a_recursion_error(tmp_path):
    depth = 1000
    path = tmp_path / "deep.rs"
    path.write_text("".join(f"pub mod m{i} {{\n" for i in range(depth)) + "pub fn leaf() {}\n" + "}\n" * depth)
    run = run_process("generate", "-q", "--check", path)
    assert run.exit_code == 1, run.why()
    assert f"{path}:{depth + 1}: fn leaf has no doc" in run.stdout
    assert_one_error_line(run)
    checked = run_process("check", "-q", path)
    assert checked.exit_code == 0, checked.why()


def test_a_bug_of_ours_is_one_line_saying_so_with_the_traceback_under_v(monkeypatch, tmp_path):
    import rustdoc_core.rust.files as files

    def broken(paths):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(files, "rust_files", broken)
    run = invoke("generate", tmp_path)
    assert run.exception is None and run.exit_code == 1
    assert run.stderr_lines == ["error: internal error (ZeroDivisionError: a bug): a bug in rustdoc-gen; run again with -v for the traceback, and please report it"]
    verbose = invoke("-v", "generate", tmp_path)
    assert "Traceback (most recent call last)" in verbose.stderr
    assert verbose.stderr_lines[-1].startswith("error: internal error (ZeroDivisionError: a bug)")


def test_an_error_from_the_system_is_one_line_naming_the_file(monkeypatch, tmp_path):
    import rustdoc_core.rust.files as files

    def unreadable(paths):
        raise PermissionError(13, "Permission denied", str(tmp_path / "src"))

    monkeypatch.setattr(files, "rust_files", unreadable)
    run = invoke("generate", tmp_path)
    assert run.exit_code == 1
    assert run.stderr_lines == [f"error: {tmp_path / 'src'}: Permission denied"]


def test_check_on_a_file_it_could_not_read_does_not_say_all_is_documented(tmp_path):
    bad = tmp_path / "bad.rs"
    bad.write_bytes(b"pub fn f() {}\n\xff\xfe\n")
    run = run_process("generate", "--check", bad)
    assert run.exit_code == 1, run.why()
    assert "all 0 item(s) documented" not in run.stderr
    assert "could not be read" in run.stderr_lines[-1]
    assert_one_error_line(run)
