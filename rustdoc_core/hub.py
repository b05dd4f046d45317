"""Publishing to the Hugging Face Hub with huggingface_hub: a model's GGUF files
and card (`export --push-to-hub`), or a dataset directory `mine` wrote (`push_dataset`).

Everything goes up in one commit: the large files are uploaded first (git-lfs or
Xet, as the Hub and the installed client agree) but become part of the repo
only when the commit lands, so a push that fails half way leaves the repo as it
was. Before any upload the token is checked with `whoami`: no network, no token
or a refused one fails at once with one line, not after a retry loop.

The token comes from where huggingface_hub looks: `HF_TOKEN`, then the login
cached by `hf auth login`. `HF_ENDPOINT` points it at another Hub.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from rustdoc_core.errors import one_line, squash

log = logging.getLogger(__name__)

REPO_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
NO_TOKEN = "no Hugging Face token: set HF_TOKEN or log in with `hf auth login` (a token with write access)"


class HubPushError(Exception):
    """A push that cannot be done or did not land: one line for the user."""


@dataclass(frozen=True)
class PushResult:
    repo_id: str
    repo_type: str
    revision: str
    url: str  # the repo's page
    commit_url: str
    files: tuple[str, ...]  # paths in the repo


def check_repo_id(repo_id: str) -> str:
    """`OWNER/NAME`, or HubPushError naming the form."""
    if not REPO_ID.match(repo_id) or ".." in repo_id or repo_id.endswith((".git", ".")):
        raise HubPushError(f"--push-to-hub {repo_id!r}: give the repository as OWNER/NAME (letters, digits, '-', '_', '.')")
    return repo_id


def _network_errors() -> tuple[type[BaseException], ...]:
    # huggingface_hub 2.x talks through httpx2, 1.x through httpx, older ones through requests (an OSError).
    try:
        from httpx2 import TransportError
    except ImportError:
        try:
            from httpx import TransportError
        except ImportError:
            return (OSError,)
    return (TransportError, OSError)


def _authorized_api(repo_id: str):
    """An HfApi whose token the Hub accepted (whoami), or HubPushError: offline, no token, refused, unreachable."""
    from huggingface_hub import HfApi, constants, get_token
    from huggingface_hub.errors import HfHubHTTPError

    check_repo_id(repo_id)
    if constants.HF_HUB_OFFLINE:
        raise HubPushError(f"cannot push to {repo_id}: HF_HUB_OFFLINE is set")
    token = get_token()
    if token is None:
        raise HubPushError(NO_TOKEN)
    api = HfApi(endpoint=constants.ENDPOINT, token=token)
    try:
        user = api.whoami()
    except HfHubHTTPError as err:
        raise HubPushError(f"cannot push to {repo_id}: {_http_reason(err)}") from None
    except _network_errors() as err:
        raise HubPushError(f"cannot push to {repo_id}: the Hub at {constants.ENDPOINT} cannot be reached ({one_line(err, first_line_only=True)})") from None
    log.info("Hub %s: pushing to %s as %s", constants.ENDPOINT, repo_id, user.get("name"))
    return api


def check_push(repo_id: str) -> None:
    """Before long work whose result is pushed: a well-formed repo id, the Hub reachable, a token it accepts."""
    _authorized_api(repo_id)


def push_files(
    repo_id: str,
    files: dict[str, Path],
    *,
    repo_type: str = "model",
    private: bool = False,
    revision: str | None = None,
    message: str,
) -> PushResult:
    """Upload `files` (path in the repo -> local file) to `repo_id` in one commit.

    The repo is created if missing (private if `private`; an existing repo keeps
    its visibility), the branch `revision` from main if missing.
    """
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.errors import HfHubHTTPError

    api = _authorized_api(repo_id)
    branch = revision or "main"
    step = f"create {repo_type} repo {repo_id}"
    try:
        repo_url = api.create_repo(repo_id, repo_type=repo_type, private=private, exist_ok=True)
        if branch != "main":
            step = f"create branch {branch} in {repo_id}"
            api.create_branch(repo_id, branch=branch, repo_type=repo_type, exist_ok=True)
        step = f"upload to {repo_id}"
        operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(path)) for name, path in files.items()]
        commit = api.create_commit(repo_id, operations, commit_message=message, repo_type=repo_type, revision=branch)
    except HfHubHTTPError as err:
        raise HubPushError(f"cannot {step}: {_http_reason(err)}") from None
    except _network_errors() as err:
        raise HubPushError(f"cannot {step}: the Hub at {api.endpoint} cannot be reached ({one_line(err, first_line_only=True)})") from None
    except (ValueError, RuntimeError) as err:
        # huggingface_hub's own words: invalid README metadata, a failed LFS upload, a malformed answer.
        cause = err.__cause__ if isinstance(err, RuntimeError) and err.__cause__ is not None else err
        raise HubPushError(f"cannot {step}: {one_line(err, first_line_only=True)}" + (f" ({one_line(cause, first_line_only=True)})" if cause is not err else "")) from None
    return PushResult(repo_id, repo_type, branch, str(repo_url), commit.commit_url, tuple(files))


def push_export(gguf: Path, card: Path, repo_id: str, *, private: bool = False, revision: str | None = None) -> PushResult:
    """An exported GGUF (merged model or LoRA adapter) and its model card, as the repo's README.md."""
    return push_files(repo_id, {Path(gguf).name: Path(gguf), "README.md": Path(card)}, private=private,
                      revision=revision, message=f"Upload {Path(gguf).name} with rustdoc-gen export")


def dataset_files(directory: Path) -> dict[str, Path]:
    """The files of a dataset directory `mine` wrote, as they go into a dataset repo."""
    return {p.name: p for p in sorted(Path(directory).iterdir()) if p.is_file() and not p.name.startswith(".")}


def push_dataset(directory: Path, repo_id: str, *, private: bool = False, revision: str | None = None) -> PushResult:
    """A dataset directory (splits, stats.json, the README.md dataset card) to a dataset repo."""
    files = dataset_files(directory)
    if "README.md" not in files:
        raise HubPushError(f"{directory} has no README.md dataset card; is it a dataset written by `rustdoc-gen mine`?")
    return push_files(repo_id, files, repo_type="dataset", private=private, revision=revision,
                      message=f"Upload dataset {Path(directory).name} with rustdoc-gen")


def _http_reason(err) -> str:
    """One line from a huggingface_hub HfHubHTTPError: the status in words and the Hub's message."""
    status = err.response.status_code
    server = squash(err.server_message or "")
    if status == 401:
        where = "HF_TOKEN" if os.environ.get("HF_TOKEN") else "the cached login"
        return f"the Hub refused the token from {where} (401 Unauthorized); set a valid token with write access"
    if status == 403:
        return "the token may not write there (403 Forbidden)" + (f": {server}" if server else "")
    return one_line(err, first_line_only=True).split(" (Request ID")[0]
