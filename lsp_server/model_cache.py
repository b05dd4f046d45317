"""GGUF models in the user cache: the Hugging Face hub cache (`~/.cache/huggingface/hub`,
or wherever `HF_HOME` / `HF_HUB_CACHE` point), shared with every other tool using it.

huggingface_hub downloads to a temporary name and renames, so an interrupted pull
leaves no half file behind, and a second pull resumes or returns the cached file.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rustdoc_core.errors import one_line

log = logging.getLogger(__name__)

DEFAULT_REPO = "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF"
DEFAULT_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


class ModelCacheError(Exception):
    """A pull or listing that cannot be done: one line for the user."""


@dataclass(frozen=True)
class CachedModel:
    repo: str
    filename: str
    revision: str
    size: int
    path: Path


def cache_dir(override: str | Path | None = None) -> Path:
    """The hub cache directory in use (the override, else huggingface_hub's, after HF_* variables)."""
    if override is not None:
        return Path(override).expanduser()
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def is_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def hub_unreachable(endpoint: str, timeout: float = 3.0) -> str | None:
    """Why the Hub at `endpoint` cannot be reached (no name, refused, no answer in `timeout` s), else None.

    huggingface_hub retries a download whose first request fails for about 23 s
    before it gives up; one TCP connect tells the same at once. Behind a proxy
    the client connects to the proxy, not to the Hub, so no verdict is given there.
    """
    import socket
    from urllib.parse import urlsplit

    if any(os.environ.get(name) for name in PROXY_VARIABLES):
        return None
    parts = urlsplit(endpoint)
    if not parts.hostname:
        return f"HF_ENDPOINT {endpoint!r} is not a URL"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as err:
        return f"{parts.hostname}:{port}: {err.strerror or one_line(err)}"
    return None


def pull(
    repo: str = DEFAULT_REPO,
    filename: str = DEFAULT_FILE,
    *,
    revision: str | None = None,
    cache: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """The local path of `filename` from `repo`: from the cache, or downloaded into it."""
    if not filename.endswith(".gguf"):
        raise ModelCacheError(f"{filename} is not a GGUF file name (expected a name ending in .gguf)")
    from huggingface_hub import errors, hf_hub_download
    from huggingface_hub.utils import disable_progress_bars, enable_progress_bars

    where = cache_dir(cache)
    if progress:
        enable_progress_bars()
    else:
        disable_progress_bars()
    from huggingface_hub import constants

    unreachable = None if is_offline() else hub_unreachable(constants.ENDPOINT)
    try:
        # Unreachable: the cached file, as huggingface_hub itself falls back to, without its retries.
        path = hf_hub_download(repo, filename, revision=revision, cache_dir=where, local_files_only=unreachable is not None)
    except errors.LocalEntryNotFoundError as err:
        if unreachable is not None:
            raise ModelCacheError(
                f"cannot get {repo}/{filename}: the Hugging Face Hub cannot be reached ({unreachable}) "
                f"and it is not in the cache ({where})"
            ) from err
        why = "HF_HUB_OFFLINE is set" if is_offline() else "the Hugging Face Hub cannot be reached"
        raise ModelCacheError(
            f"cannot get {repo}/{filename}: {why} and it is not in the cache ({where})"
        ) from err
    except errors.GatedRepoError as err:
        raise ModelCacheError(f"{repo} is gated: accept its terms on huggingface.co and log in (`hf auth login`)") from err
    except errors.RepositoryNotFoundError as err:
        raise ModelCacheError(f"no such model repository on the Hugging Face Hub: {repo}") from err
    except errors.RevisionNotFoundError as err:
        raise ModelCacheError(f"no revision {revision!r} in {repo}") from err
    except (errors.EntryNotFoundError, errors.RemoteEntryNotFoundError) as err:
        raise ModelCacheError(f"{repo} has no file {filename}; `rustdoc-gen model pull REPO FILE` names another") from err
    except errors.HfHubHTTPError as err:
        raise ModelCacheError(f"cannot download {repo}/{filename}: {one_line(err)}") from err
    except errors.HFValidationError as err:
        raise ModelCacheError(f"not a repository name: {repo!r} ({one_line(err)})") from err
    except OSError as err:
        raise ModelCacheError(f"cannot write {filename} into {where}: {err.strerror or one_line(err)}") from err
    return Path(path)


def cached_models(cache: str | Path | None = None) -> list[CachedModel]:
    """Every GGUF file in the cache, by repository and revision."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    where = cache_dir(cache)
    try:
        info = scan_cache_dir(where)
    except CacheNotFound:
        return []
    except (OSError, ValueError) as err:
        raise ModelCacheError(f"cannot read the model cache {where}: {one_line(err)}") from err
    for warning in info.warnings:
        log.debug("cache: %s", warning)
    out = [
        CachedModel(repo.repo_id, file.file_name, revision.commit_hash, file.size_on_disk, Path(file.file_path))
        for repo in info.repos
        if repo.repo_type == "model"
        for revision in repo.revisions
        for file in revision.files
        if file.file_name.endswith(".gguf")
    ]
    return sorted(out, key=lambda m: (m.repo, m.filename, m.revision))


