"""A Hugging Face Hub on localhost, for tests of what `huggingface_hub` sends.

It speaks the part of the Hub's HTTP API that huggingface_hub's publishing and
download calls use, the way the Hub answers them:

    GET  /api/whoami-v2                                  who the bearer token belongs to (401 if none)
    POST /api/validate-yaml                              README front matter checked before any upload
    POST /api/repos/create                               a repo with a first commit holding .gitattributes (409 if it exists)
    POST /api/{type}s/{repo}/branch/{branch}             a branch from main (409 if it exists)
    POST /api/{type}s/{repo}/preupload/{revision}        upload mode per file: "lfs" or "regular"
    POST /{prefix}{repo}.git/info/lfs/objects/batch      git-lfs batch API, "basic" transfer
    PUT  /_lfs/{oid}  POST /_lfs/{oid}/verify            the upload and verify actions it hands out
    POST /api/{type}s/{repo}/commit/{revision}           the NDJSON commit: header, file, lfsFile lines
    GET  /api/{type}s/{repo}[/revision/{revision}]       repo info (sha, private, siblings)
    HEAD/GET /{prefix}{repo}/resolve/{revision}/{path}   file download with X-Repo-Commit / ETag headers

A commit is all or nothing: it lands only if every LFS object it names was
uploaded with that sha256 and size, so a client that stops half way leaves the
branch as it was. Xet storage is not spoken: clients run with
HF_HUB_DISABLE_XET=1 and use the git-lfs protocol, which the Hub also accepts.
Errors carry the Hub's `X-Error-Code` / `X-Error-Message` headers, which
huggingface_hub turns into its typed errors.

    with FakeHub(tokens={"hf_write": "alice"}) as hub:
        env = {"HF_ENDPOINT": hub.url, "HF_TOKEN": "hf_write", "HF_HUB_DISABLE_XET": "1"}
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

LFS_PATTERNS = re.compile(r"\.(gguf|safetensors|bin|pt|pth|ckpt|onnx|png|jpg|jpeg|zip|tar|gz|parquet|arrow)$", re.I)
LFS_SIZE = 10 * 1024 * 1024  # the Hub stores bigger files in LFS whatever their name
GITATTRIBUTES = b"*.gguf filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
HF_LICENSES = frozenset(
    "apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m "
    "afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 "
    "cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 "
    "cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 "
    "cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 "
    "lgpl lgpl-2.1 lgpl-3.0 isc h-research intel-research lppl-1.3c ms-pl apple-ascl apple-amlr mpl-2.0 odc-by odbl "
    "openmdw-1.0 openrail++ osl-3.0 postgresql ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license "
    "fair-noncommercial-research-license llama2 llama3 llama3.1 llama3.2 llama3.3 llama4 grok2-community gemma unknown other".split()
)
SIZE_CATEGORIES = frozenset(
    ["n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B", "1B<n<10B",
     "10B<n<100B", "100B<n<1T", "n>1T", "unknown"]
)
PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}


class HubError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass
class Commit:
    oid: str
    message: str
    parent: str | None
    files: dict[str, bytes]  # path -> content (LFS files are stored whole here too)
    lfs: dict[str, str]  # path -> sha256 of the files stored in LFS


@dataclass
class Repo:
    repo_type: str
    repo_id: str
    owner: str
    private: bool
    branches: dict[str, str] = field(default_factory=dict)  # branch -> commit oid
    commits: dict[str, Commit] = field(default_factory=dict)

    def head(self, revision: str) -> Commit:
        oid = self.branches.get(revision, revision if revision in self.commits else None)
        if oid is None:
            raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")
        return self.commits[oid]


class FakeHub:
    """The server; `repos` and `lfs_objects` show what the clients stored, `requests` what they asked."""

    def __init__(self, tokens: dict[str, str] | None = None, *, refuse_commits: bool = False):
        self.tokens = dict(tokens or {})  # bearer token -> user name
        self.refuse_commits = refuse_commits
        self.repos: dict[tuple[str, str], Repo] = {}
        self.lfs_objects: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        hub = self

        class Handler(_Handler):
            server_hub = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-hub", daemon=True)

    def __enter__(self) -> "FakeHub":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def repo(self, repo_id: str, repo_type: str = "model") -> Repo:
        return self.repos[(repo_type, repo_id)]

    def files(self, repo_id: str, revision: str = "main", repo_type: str = "model") -> dict[str, bytes]:
        return dict(self.repo(repo_id, repo_type).head(revision).files)

    # --- the API ---------------------------------------------------------------------------

    def user(self, headers: Any, required: bool = True) -> str | None:
        auth = headers.get("Authorization") or ""
        token = auth[7:] if auth.startswith("Bearer ") else None
        if token is None:
            if required:
                raise HubError(401, "Invalid username or password.")
            return None
        if token not in self.tokens:
            raise HubError(401, "Invalid credentials in Authorization header")
        return self.tokens[token]

    def whoami(self, headers: Any) -> dict[str, Any]:
        name = self.user(headers)
        return {"type": "user", "name": name, "fullname": name, "orgs": [], "auth": {"type": "access_token",
                "accessToken": {"displayName": "test", "role": "write"}}}

    def validate_yaml(self, body: dict[str, Any]) -> dict[str, Any]:
        errors = card_metadata_errors(body.get("content", ""), body.get("repoType", "model"))
        if errors:
            raise _Reply(400, {"errors": [{"message": e} for e in errors], "warnings": []})
        return {"errors": [], "warnings": []}

    def create_repo(self, headers: Any, body: dict[str, Any]) -> dict[str, Any]:
        user = self.user(headers)
        name, owner = body.get("name"), body.get("organization") or user
        repo_type = body.get("type") or "model"
        if owner != user:
            raise HubError(403, f"You don't have the rights to create a {repo_type} under the namespace \"{owner}\"")
        repo_id = f"{owner}/{name}"
        key = (repo_type, repo_id)
        private = body.get("visibility") == "private" or body.get("private") is True
        with self._lock:
            if key in self.repos:  # the Hub names the existing repo's url too
                message = f"You already created this {repo_type} repo"
                raise _Reply(409, {"error": message, "url": f"{self.url}/{PREFIXES[repo_type]}{repo_id}"},
                             {"X-Error-Message": message})
            repo = Repo(repo_type, repo_id, owner, private)
            first = _commit(None, "initial commit", {".gitattributes": GITATTRIBUTES}, {})
            repo.commits[first.oid] = first
            repo.branches["main"] = first.oid
            self.repos[key] = repo
        return {"url": f"{self.url}/{PREFIXES[repo_type]}{repo_id}", "name": repo_id, "id": repo_id}

    def _repo_for(self, headers: Any, repo_type: str, repo_id: str, write: bool) -> Repo:
        user = self.user(headers, required=write)
        repo = self.repos.get((repo_type, repo_id))
        if repo is None or (repo.private and user != repo.owner):
            raise HubError(401 if user is None else 404, "Repository not found", "RepoNotFound")
        if write and user != repo.owner:
            raise HubError(403, "You don't have the rights to write to this repo")
        return repo

    def create_branch(self, headers: Any, repo_type: str, repo_id: str, branch: str, body: dict[str, Any]) -> dict[str, Any]:
        repo = self._repo_for(headers, repo_type, repo_id, write=True)
        with self._lock:
            if branch in repo.branches:
                raise HubError(409, f"Reference already exists: refs/heads/{branch}")
            repo.branches[branch] = repo.head(body.get("startingPoint") or "main").oid
        return {}

    def preupload(self, headers: Any, repo_type: str, repo_id: str, revision: str, body: dict[str, Any]) -> dict[str, Any]:
        repo = self._repo_for(headers, repo_type, repo_id, write=True)
        current = repo.head(revision)
        out = []
        for entry in body["files"]:
            path, size = entry["path"], int(entry["size"])
            sample = base64.b64decode(entry["sample"])
            lfs = bool(LFS_PATTERNS.search(path)) or size >= LFS_SIZE or b"\x00" in sample
            remote = current.files.get(path)
            oid = None
            if remote is not None:
                oid = current.lfs.get(path) or _git_blob_oid(remote)
            out.append({"path": path, "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False, "oid": oid})
        return {"files": out, "commitOid": current.oid}

    def lfs_batch(self, headers: Any, repo_type: str, repo_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._repo_for(headers, repo_type, repo_id, write=True)
        if body.get("operation") != "upload" or "basic" not in body.get("transfers", ["basic"]):
            raise HubError(422, "only basic uploads are offered")
        objects = []
        for obj in body["objects"]:
            oid, size = obj["oid"], int(obj["size"])
            if oid in self.lfs_objects and len(self.lfs_objects[oid]) == size:
                objects.append({"oid": oid, "size": size})  # already stored: no actions
                continue
            objects.append({"oid": oid, "size": size, "authenticated": True, "actions": {
                "upload": {"href": f"{self.url}/_lfs/{oid}", "header": {}},
                "verify": {"href": f"{self.url}/_lfs/{oid}/verify", "header": {}},
            }})
        return {"transfer": "basic", "objects": objects, "hash_algo": "sha256"}

    def lfs_put(self, oid: str, data: bytes) -> dict[str, Any]:
        if hashlib.sha256(data).hexdigest() != oid:
            raise HubError(400, f"sha256 of the uploaded content does not match {oid}")
        with self._lock:
            self.lfs_objects[oid] = data
        return {}

    def lfs_verify(self, oid: str, body: dict[str, Any]) -> dict[str, Any]:
        data = self.lfs_objects.get(oid)
        if data is None or len(data) != int(body.get("size", -1)):
            raise HubError(404, f"object {oid} not uploaded")
        return {}

    def commit(self, headers: Any, repo_type: str, repo_id: str, revision: str, body: bytes) -> dict[str, Any]:
        repo = self._repo_for(headers, repo_type, repo_id, write=True)
        lines = [json.loads(line) for line in body.decode("utf-8").splitlines() if line.strip()]
        if not lines or lines[0].get("key") != "header":
            raise HubError(400, "the commit payload must start with a header line")
        header = lines[0]["value"]
        if self.refuse_commits:
            raise HubError(500, "Internal Error - the commit could not be written")
        with self._lock:
            parent = repo.head(revision)
            if header.get("parentCommit") and header["parentCommit"] != parent.oid:
                raise HubError(412, "A commit has happened since. Please refresh and try again.")
            files, lfs = dict(parent.files), dict(parent.lfs)
            for line in lines[1:]:
                key, value = line["key"], line["value"]
                path = value["path"]
                if key == "file":
                    if value.get("encoding") != "base64":
                        raise HubError(400, f"{path}: unsupported encoding {value.get('encoding')!r}")
                    files[path] = base64.b64decode(value["content"])
                    lfs.pop(path, None)
                elif key == "lfsFile":
                    data = self.lfs_objects.get(value["oid"])
                    if data is None or ("size" in value and len(data) != int(value["size"])):
                        raise HubError(422, f"Your push was rejected because an LFS pointer pointed to a file that does not exist: {path}")
                    files[path], lfs[path] = data, value["oid"]
                elif key == "deletedFile":
                    if path not in files:
                        raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
                    files.pop(path)
                    lfs.pop(path, None)
                else:
                    raise HubError(400, f"unsupported commit operation {key!r}")
            new = _commit(parent.oid, header.get("summary", ""), files, lfs)
            repo.commits[new.oid] = new
            repo.branches[revision] = new.oid
        return {"success": True, "commitOid": new.oid,
                "commitUrl": f"{self.url}/{PREFIXES[repo_type]}{repo_id}/commit/{new.oid}"}

    def repo_info(self, headers: Any, repo_type: str, repo_id: str, revision: str) -> dict[str, Any]:
        repo = self._repo_for(headers, repo_type, repo_id, write=False)
        head = repo.head(revision)
        return {"id": repo_id, "modelId": repo_id, "sha": head.oid, "private": repo.private, "author": repo.owner,
                "siblings": [{"rfilename": p} for p in sorted(head.files)]}

    def resolve(self, headers: Any, repo_type: str, repo_id: str, revision: str, path: str) -> tuple[bytes, dict[str, str]]:
        repo = self._repo_for(headers, repo_type, repo_id, write=False)
        head = repo.head(revision)
        if path not in head.files:
            raise _Reply(404, {"error": "Entry not found"}, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": head.oid})
        data = head.files[path]
        out = {"X-Repo-Commit": head.oid, "Content-Type": "application/octet-stream"}
        if path in head.lfs:
            out.update({"X-Linked-Etag": f'"{head.lfs[path]}"', "X-Linked-Size": str(len(data)), "ETag": f'"{head.lfs[path]}"'})
        else:
            out["ETag"] = f'"{_git_blob_oid(data)}"'
        return data, out


class _Reply(Exception):
    """A response with a JSON body other than the usual error shape."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def _commit(parent: str | None, message: str, files: dict[str, bytes], lfs: dict[str, str]) -> Commit:
    digest = hashlib.sha1(json.dumps([parent, message, sorted((p, _git_blob_oid(d)) for p, d in files.items())]).encode())
    return Commit(digest.hexdigest(), message, parent, dict(files), dict(lfs))


def _git_blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def card_metadata_errors(content: str, repo_type: str) -> list[str]:
    """What the Hub's metadata check says about a README's YAML front matter (the parts rustdoc-gen writes)."""
    match = re.match(r"^---\r?\n(.*?)\r?\n---\r?\n", content, re.S)
    if match is None:
        return []
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as error:
        return [f"Invalid YAML: {error}"]
    if meta is None:
        return []
    if not isinstance(meta, dict):
        return ["\"value\" must be of type object"]
    errors = []
    licenses = meta.get("license")
    for license_id in licenses if isinstance(licenses, list) else [licenses] if licenses is not None else []:
        if license_id not in HF_LICENSES:
            errors.append(f"\"license\" must be one of [{', '.join(sorted(HF_LICENSES)[:5])}, ...], got {license_id!r}")
    for key in ("tags", "datasets", "language", "task_categories"):
        value = meta.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)) and not isinstance(value, str):
            errors.append(f"\"{key}\" must be a string or an array of strings")
    if repo_type == "dataset":
        sizes = meta.get("size_categories")
        for size in sizes if isinstance(sizes, list) else [sizes] if sizes is not None else []:
            if size not in SIZE_CATEGORIES:
                errors.append(f"\"size_categories\" must be one of {sorted(SIZE_CATEGORIES)}, got {size!r}")
    if "model-index" in meta:
        errors += _model_index_errors(meta["model-index"])
    return errors


def _model_index_errors(index: Any) -> list[str]:
    if not isinstance(index, list):
        return ["\"model-index\" must be an array"]
    errors = []
    for entry in index:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            errors.append("\"model-index[].name\" is required")
            continue
        for result in entry.get("results", []):
            task = result.get("task") if isinstance(result, dict) else None
            if not isinstance(task, dict) or not isinstance(task.get("type"), str):
                errors.append("\"model-index[].results[].task.type\" is required")
            dataset = result.get("dataset") if isinstance(result, dict) else None
            if not isinstance(dataset, dict) or not isinstance(dataset.get("type"), str) or not isinstance(dataset.get("name"), str):
                errors.append("\"model-index[].results[].dataset\" needs a type and a name")
            metrics = result.get("metrics") if isinstance(result, dict) else None
            if not isinstance(metrics, list) or not metrics:
                errors.append("\"model-index[].results[].metrics\" must be a non-empty array")
                continue
            for metric in metrics:
                if not isinstance(metric, dict) or not isinstance(metric.get("type"), str) or "value" not in metric:
                    errors.append("\"model-index[].results[].metrics[]\" needs a type and a value")
                elif not isinstance(metric["value"], (int, float, str)) or isinstance(metric["value"], bool):
                    errors.append(f"\"model-index[].results[].metrics[].value\" must be a number or a string, got {metric['value']!r}")
    return errors


_API = re.compile(r"^/api/(models|datasets|spaces)/([^/]+/[^/]+)(?:/(preupload|commit|branch|revision)/(.+))?$")
_LFS_BATCH = re.compile(r"^/(datasets/|spaces/)?([^/]+/[^/]+)\.git/info/lfs/objects/batch$")
_RESOLVE = re.compile(r"^/(datasets/|spaces/)?([^/]+/[^/]+)/resolve/([^/]+)/(.+)$")
_LFS_OBJECT = re.compile(r"^/_lfs/([0-9a-f]{64})(/verify)?$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_hub: FakeHub

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: tests read `hub.requests`

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send(self, status: int, body: bytes, headers: dict[str, str], head_only: bool = False) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _dispatch(self, method: str) -> None:
        hub = self.server_hub
        path = urlsplit(self.path).path
        hub.requests.append((method, path))
        raw = self._body() if method in ("POST", "PUT") else b""
        try:
            if method in ("GET", "HEAD") and (m := _RESOLVE.match(path)):
                data, headers = hub.resolve(self.headers, _type_of(m.group(1)), m.group(2), unquote(m.group(3)), unquote(m.group(4)))
                self._send(200, data, headers, head_only=method == "HEAD")
                return
            if m := _LFS_OBJECT.match(path):
                if method == "PUT" and not m.group(2):
                    result = hub.lfs_put(m.group(1), raw)
                elif method == "POST" and m.group(2):
                    result = hub.lfs_verify(m.group(1), json.loads(raw or b"{}"))
                else:
                    raise HubError(405, "method not allowed")
                self._json(200, result)
                return
            if method == "POST" and (m := _LFS_BATCH.match(path)):
                self._json(200, hub.lfs_batch(self.headers, _type_of(m.group(1)), m.group(2), json.loads(raw)),
                           {"Content-Type": "application/vnd.git-lfs+json"})
                return
            if method == "GET" and path == "/api/whoami-v2":
                self._json(200, hub.whoami(self.headers))
                return
            if method == "POST" and path == "/api/validate-yaml":
                self._json(200, hub.validate_yaml(json.loads(raw)))
                return
            if method == "POST" and path == "/api/repos/create":
                self._json(200, hub.create_repo(self.headers, json.loads(raw)))
                return
            if m := _API.match(path):
                repo_type, repo_id, action, rest = m.group(1)[:-1], m.group(2), m.group(3), unquote(m.group(4) or "")
                if method == "POST" and action == "preupload":
                    self._json(200, hub.preupload(self.headers, repo_type, repo_id, rest, json.loads(raw)))
                elif method == "POST" and action == "commit":
                    self._json(200, hub.commit(self.headers, repo_type, repo_id, rest, raw))
                elif method == "POST" and action == "branch":
                    self._json(200, hub.create_branch(self.headers, repo_type, repo_id, rest, json.loads(raw or b"{}")))
                elif method == "GET" and action in (None, "revision"):
                    self._json(200, hub.repo_info(self.headers, repo_type, repo_id, rest or "main"))
                else:
                    raise HubError(405, "method not allowed")
                return
            raise HubError(404, f"no route for {method} {path}")
        except HubError as error:
            headers = {"X-Error-Message": str(error)}
            if error.code:
                headers["X-Error-Code"] = error.code
            self._json(error.status, {"error": str(error)}, headers)
        except _Reply as reply:
            self._json(reply.status, reply.body, reply.headers)

    def do_GET(self) -> None:  # noqa: N802 - http.server's names
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")


def _type_of(prefix: str | None) -> str:
    return {"datasets/": "dataset", "spaces/": "space"}.get(prefix or "", "model")
