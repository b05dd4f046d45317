"""The `rustdoc-gen` command line as installed: help, version, bad input."""

import subprocess
import sys

import pytest

from rustdoc_cli.cli import COMMANDS

EXPECTED = ["mine", "validate", "train", "prefs", "export", "eval", "runs", "generate", "check", "serve", "model", "demo"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rustdoc_cli", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_every_command_with_one_line():
    out = run("--help")
    assert out.returncode == 0
    block = out.stdout.split("Commands:\n")[1].split("\n\n")[0].splitlines()
    assert all(line.startswith("  ") and not line.startswith("   ") for line in block), "a command's line wrapped"
    assert sorted(line.split()[0] for line in block) == sorted(EXPECTED) == sorted(COMMANDS)


@pytest.mark.parametrize("command", EXPECTED)
def test_every_command_explains_itself(command):
    out = run(command, "--help")
    assert out.returncode == 0, out.stderr
    assert "Usage: " in out.stdout
    assert "--quiet" in out.stdout and "--verbose" in out.stdout or command == "model"
    assert len(out.stdout.splitlines()) > 6


def test_version_prints_the_package_version():
    from rustdoc_core import __version__

    out = run("--version")
    assert out.returncode == 0
    assert __version__ in out.stdout


def test_unknown_command_fails_with_usage():
    out = run("documentize")
    assert out.returncode == 2
    assert "No such command" in out.stderr


def test_bad_input_is_one_line_and_non_zero():
    out = run("generate", "/no/such/file.rs")
    assert out.returncode != 0
    assert out.stdout == ""
    assert len([line for line in out.stderr.splitlines() if line.strip()]) == 1, out.stderr
