"""Where a corpus comes from: telling git URLs from paths, and a repo's license
from Cargo.toml (workspace-aware) or from its LICENSE files."""

from __future__ import annotations

import pytest

from corpus_miner.sources import detect_license, is_git_url, repo_name_of, split_rev


@pytest.mark.parametrize("text, url", [
    ("https://github.com/sharkdp/bat", True), ("git@github.com:sharkdp/bat.git", True), ("file:///srv/git/x", True),
    ("ssh://git@host/x.git", True), ("../checkouts/bat", False), ("/home/me/bat", False), ("bat", False),
])
def test_git_urls_are_told_from_local_paths(text, url):
    assert is_git_url(text) is url


def test_url_names_and_per_url_revisions():
    assert repo_name_of("git@github.com:sharkdp/bat.git") == "bat"
    assert repo_name_of("https://github.com/eza-community/eza/") == "eza"
    assert split_rev("https://github.com/x/y#v1.2") == ("https://github.com/x/y", "v1.2")
    assert split_rev("https://github.com/x/y") == ("https://github.com/x/y", None)


def test_license_from_manifest_old_slash_form_and_workspace(tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "a"\nlicense = "MIT/Apache-2.0"\n')
    assert detect_license(tmp_path) == "MIT OR Apache-2.0"
    (tmp_path / "Cargo.toml").write_text(
        '[workspace.package]\nlicense = "Unlicense OR MIT"\n[package]\nname = "a"\nlicense.workspace = true\n')
    assert detect_license(tmp_path) == "Unlicense OR MIT"


def test_license_from_license_files_when_the_manifest_has_none(tmp_path):
    (tmp_path / "Cargo.toml").write_text('[package]\nname = "a"\n')
    (tmp_path / "LICENSE-APACHE").write_text("Apache License\nVersion 2.0, January 2004\n")
    (tmp_path / "LICENSE-MIT").write_text("Permission is hereby granted, free of charge, to any person\n")
    assert detect_license(tmp_path) == "Apache-2.0 OR MIT"
    (tmp_path / "LICENSE-APACHE").unlink()
    (tmp_path / "LICENSE-MIT").unlink()
    assert detect_license(tmp_path) is None
