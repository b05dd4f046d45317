"""`export --push-to-hub` and `model pull` against a Hub on localhost (tests/support/fake_hub.py).

huggingface_hub is unpatched: the commands run as processes with HF_ENDPOINT
pointing at the local server, so every request is the one the Hub would get
(over git-lfs: HF_HUB_DISABLE_XET=1, since the local Hub does not speak Xet).
One export of the tiny Qwen2 model, carrying a real `eval` report of the same
model, is pushed; the failure cases fail before any export work starts.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rustdoc_cli.cli import main as cli
from tests.support.fake_hub import FakeHub

pytestmark = pytest.mark.slow

TOKEN = "hf_alice_write_token"
REPO = "alice/tiny-rustdoc"


def _env(hub_url: str, home: Path, token: str | None = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(HF_ENDPOINT=hub_url, HF_HUB_DISABLE_XET="1", HF_HOME=str(home), HF_HUB_CACHE=str(home / "hub"),
               NO_COLOR="1", TOKENIZERS_PARALLELISM="false", COLUMNS="200")
    if token is not None:
        env["HF_TOKEN"] = token
    return env


def _rustdoc_gen(*args: str, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rustdoc_cli", *args], capture_output=True, text=True, env=env, timeout=timeout)


def _error_lines(out: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in out.stderr.splitlines() if line.strip()]


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n"), card[:200]
    return yaml.safe_load(card.split("\n---\n", 1)[0][4:])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def eval_report(debian_crate, tiny_gguf_path, tmp_path_factory) -> Path:
    """A real `eval` report of the tiny model's Q4_K_M GGUF (and the template) on globset's test split."""
    root = tmp_path_factory.mktemp("eval")
    runner = CliRunner()
    mined = runner.invoke(cli, ["-q", "mine", str(debian_crate("globset")), "-o", str(root / "data")])
    assert mined.exit_code == 0, mined.output
    report = root / "report"
    result = runner.invoke(cli, ["-q", "eval", "--dataset", str(root / "data"), "--system", "template",
                                 "--system", f"model:{tiny_gguf_path}", "--limit", "3", "--max-tokens", "16", "-o", str(report)])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return report


@pytest.fixture(scope="module")
def pushed(eval_report, tiny_model_dir, tiny_gguf_path, tmp_path_factory):
    """The tiny model exported under the evaluated GGUF's name, with that report, pushed private to branch v1."""
    root = tmp_path_factory.mktemp("push")
    with FakeHub(tokens={TOKEN: "alice"}) as hub:
        output = root / "models" / tiny_gguf_path.name
        out = _rustdoc_gen("export", str(tiny_model_dir), "-o", str(output), "--eval-report", str(eval_report),
                           "--push-to-hub", REPO, "--private", "--revision", "v1", "--no-verify",
                           env=_env(hub.url, root / "hf-home"))
        yield hub, out, output


def test_export_pushes_the_gguf_and_its_card_in_one_commit_to_a_private_branch(pushed):
    hub, out, output = pushed
    assert out.returncode == 0, out.stderr[-3000:]
    repo = hub.repo(REPO)
    assert repo.private
    assert set(repo.branches) == {"main", "v1"}
    files = hub.files(REPO, "v1")
    assert set(files) == {".gitattributes", output.name, "README.md"}
    assert files[output.name] == output.read_bytes()  # the GGUF went up through git-lfs, byte for byte
    assert files["README.md"] == (output.parent / "README.md").read_bytes()  # the card beside the output is the one pushed
    assert set(hub.files(REPO, "main")) == {".gitattributes"}  # main untouched
    commits = [oid for oid, commit in repo.commits.items() if output.name in commit.files]
    assert len(commits) == 1 and repo.branches["v1"] == commits[0]
    assert out.stdout.strip().splitlines()[-1] == f"{hub.url}/{REPO}/commit/{commits[0]}"
    assert ("POST", "/api/validate-yaml") in hub.requests  # huggingface_hub had the card's metadata checked first


def test_card_model_index_holds_the_eval_reports_figures_for_this_model(pushed, eval_report, tiny_gguf_path):
    from huggingface_hub import ModelCard

    hub, out, output = pushed
    assert out.returncode == 0, out.stderr[-3000:]
    card = hub.files(REPO, "v1")["README.md"].decode()
    meta = _front_matter(card)
    assert meta["pipeline_tag"] == "text-generation" and meta["library_name"] == "gguf"
    assert "rust" in meta["tags"] and "license" in meta

    report = json.loads((eval_report / "report.json").read_text())
    system = next(s["name"] for s in report["systems"] if s["spec"] == f"model:{tiny_gguf_path}")
    figures = report["figures"]["overall"][system]
    expected = {key: figures[key] for key in report["metrics"] if figures.get(key) is not None}  # every metric with a value
    assert {"bleu4", "chrf", "rouge_l", "clean_share"} <= set(expected)
    [entry] = meta["model-index"]
    assert entry["name"] == REPO.split("/")[1]
    [result] = entry["results"]
    assert result["task"]["type"] == "text-generation"
    assert result["dataset"]["split"] == "test"
    assert {m["type"]: m["value"] for m in result["metrics"]} == pytest.approx(expected, rel=1e-5)
    assert {m["type"]: m["name"] for m in result["metrics"]} == {k: report["metrics"][k]["label"] for k in expected}
    parsed = ModelCard(card).data.eval_results  # huggingface_hub reads the model-index back
    assert {r.metric_type for r in parsed} == set(expected)


def test_pushed_model_is_what_model_pull_downloads(pushed, tmp_path):
    hub, out, output = pushed
    assert out.returncode == 0, out.stderr[-3000:]
    env = _env(hub.url, tmp_path / "hf-home")
    pulled = _rustdoc_gen("model", "pull", REPO, output.name, "--revision", "v1", env=env, timeout=120)
    assert pulled.returncode == 0, pulled.stderr
    assert Path(pulled.stdout.strip()).read_bytes() == output.read_bytes()
    refused = _rustdoc_gen("model", "pull", REPO, output.name, "--revision", "v1", env=_env(hub.url, tmp_path / "anon", token=None), timeout=120)
    assert refused.returncode == 1  # a private repo, asked without a token
    assert len(_error_lines(refused)) == 1, refused.stderr


def test_push_without_a_token_fails_before_exporting(tiny_model_dir, tmp_path):
    with FakeHub(tokens={TOKEN: "alice"}) as hub:
        out = _rustdoc_gen("export", str(tiny_model_dir), "-o", str(tmp_path / "m.gguf"), "--push-to-hub", REPO,
                           env=_env(hub.url, tmp_path / "home", token=None))
    assert out.returncode == 1
    assert _error_lines(out) == ["error: no Hugging Face token: set HF_TOKEN or log in with `hf auth login` (a token with write access)"]
    assert not (tmp_path / "m.gguf").exists() and not hub.repos


def test_refused_token_fails_with_one_line_before_exporting(tiny_model_dir, tmp_path):
    with FakeHub(tokens={TOKEN: "alice"}) as hub:
        out = _rustdoc_gen("export", str(tiny_model_dir), "-o", str(tmp_path / "m.gguf"), "--push-to-hub", REPO,
                           env=_env(hub.url, tmp_path / "home", token="hf_revoked"))
    assert out.returncode == 1
    [line] = _error_lines(out)
    assert "refused the token from HF_TOKEN" in line and "401" in line, line
    assert not (tmp_path / "m.gguf").exists() and not hub.repos


def test_unreachable_hub_fails_fast_with_one_line(tiny_model_dir, tmp_path):
    env = _env(f"http://127.0.0.1:{_closed_port()}", tmp_path / "home")
    out = _rustdoc_gen("export", str(tiny_model_dir), "-o", str(tmp_path / "m.gguf"), "--push-to-hub", REPO, env=env)
    assert out.returncode == 1
    [line] = _error_lines(out)
    assert "cannot be reached" in line, line
    assert not (tmp_path / "m.gguf").exists()
    start = time.monotonic()
    pulled = _rustdoc_gen("model", "pull", env=env, timeout=120)
    elapsed = time.monotonic() - start
    assert pulled.returncode == 1
    [line] = _error_lines(pulled)
    assert "cannot be reached" in line and "not in the cache" in line, line
    # huggingface_hub alone retries for 23 s (1+2+4+8+8) before giving up; the pull must not wait that out.
    assert elapsed < 15, f"model pull took {elapsed:.0f} s offline: the retry loop is back"


def test_malformed_repo_id_is_refused_by_name(tiny_model_dir, tmp_path):
    out = _rustdoc_gen("export", str(tiny_model_dir), "-o", str(tmp_path / "m.gguf"), "--push-to-hub", "no-owner",
                       env=_env("http://127.0.0.1:9", tmp_path / "home"))
    assert out.returncode == 1
    [line] = _error_lines(out)
    assert "OWNER/NAME" in line and "no-owner" in line


PUSH_SCRIPT = """
import sys
from pathlib import Path
from rustdoc_core.hub import HubPushError, push_export
try:
    result = push_export(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
except HubPushError as error:
    print(error, file=sys.stderr)
    sys.exit(1)
print(result.commit_url)
"""


def test_a_commit_the_hub_refuses_leaves_the_repo_as_it_was(pushed, tmp_path):
    _, out, output = pushed
    assert out.returncode == 0, out.stderr[-3000:]
    with FakeHub(tokens={TOKEN: "alice"}, refuse_commits=True) as hub:
        env = _env(hub.url, tmp_path / "home")
        failed = subprocess.run([sys.executable, "-c", PUSH_SCRIPT, str(output), str(output.parent / "README.md"), REPO],
                                capture_output=True, text=True, env=env, timeout=300)
        assert failed.returncode == 1
        assert "cannot upload to alice/tiny-rustdoc" in failed.stderr and "500" in failed.stderr, failed.stderr
        assert hub.lfs_objects  # the GGUF's bytes were sent ...
        assert set(hub.files(REPO)) == {".gitattributes"}  # ... but no commit names them: nothing claims to be there
        assert len(hub.repo(REPO).commits) == 1


def test_token_from_the_cached_login_is_used(pushed, tmp_path):
    _, out, output = pushed
    assert out.returncode == 0, out.stderr[-3000:]
    with FakeHub(tokens={TOKEN: "alice"}) as hub:
        env = _env(hub.url, tmp_path / "home", token=None)
        login = subprocess.run([sys.executable, "-c", f"from huggingface_hub import login; login(token={TOKEN!r})"],
                               capture_output=True, text=True, env=env, timeout=120)
        assert login.returncode == 0, login.stderr  # `hf auth login` stores the token in HF_HOME, checked against the Hub
        pushed_again = subprocess.run([sys.executable, "-c", PUSH_SCRIPT, str(output), str(output.parent / "README.md"), REPO],
                                      capture_output=True, text=True, env=env, timeout=300)
        assert pushed_again.returncode == 0, pushed_again.stderr
        assert set(hub.files(REPO)) == {".gitattributes", output.name, "README.md"}
        assert not hub.repo(REPO).private


def test_mine_push_to_hub_uploads_the_dataset_as_a_dataset_repo_with_its_card(debian_crate, tmp_path):
    dataset = tmp_path / "data"
    with FakeHub(tokens={TOKEN: "alice"}) as hub:
        out = _rustdoc_gen("mine", str(debian_crate("globset")), "-o", str(dataset), "--push-to-hub", "alice/globset-docs",
                           "--private", env=_env(hub.url, tmp_path / "home"))
        assert out.returncode == 0, out.stderr
        assert "/datasets/alice/globset-docs" in out.stdout
        files = hub.files("alice/globset-docs", repo_type="dataset")
        assert set(files) == {".gitattributes", "README.md", "stats.json", "train.jsonl", "validation.jsonl", "test.jsonl"}
        assert all(files[name] == (dataset / name).read_bytes() for name in files if name != ".gitattributes")
        assert hub.repo("alice/globset-docs", "dataset").private
        assert ("POST", "/api/validate-yaml") in hub.requests  # the dataset card's metadata was checked as a dataset's


def test_mine_push_to_hub_without_a_token_fails_before_mining(debian_crate, tmp_path):
    with FakeHub(tokens={TOKEN: "alice"}) as hub:
        out = _rustdoc_gen("mine", str(debian_crate("globset")), "-o", str(tmp_path / "data"), "--push-to-hub", "alice/x",
                           env=_env(hub.url, tmp_path / "home", token=None))
    assert out.returncode != 0
    assert len(_error_lines(out)) == 1 and "token" in out.stderr.lower()
    assert not (tmp_path / "data").exists()
