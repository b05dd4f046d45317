"""`rustdoc-gen serve` and `rustdoc-gen model pull|list`.

Kept light: the server and huggingface_hub load inside the commands.
"""

from __future__ import annotations

import logging

import click

from rustdoc_console import UserError, stdout, table, verbosity_options


def _host_port(value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter("expected HOST:PORT, e.g. 127.0.0.1:2087", param_hint="--tcp")
    return host or "127.0.0.1", int(port)


@click.command(
    "serve",
    short_help="Run the language server for VS Code, Neovim and other editors.",
    epilog="""\b
Examples:
  rustdoc-gen serve                      # stdio, as editors start it
  rustdoc-gen serve --tcp 127.0.0.1:2087 # for debugging with a client that connects
\b
Settings come from the client (section `rustdocGen`), e.g. initializationOptions:
  {"model": {"path": "/path/to/model.gguf", "maxTokens": 384}, "diagnostics": {"enable": true}}
Without a model the template engine writes the docs; `rustdoc-gen model pull` gets one.""",
)
@click.option("--stdio", "stdio", is_flag=True, help="Speak LSP over stdin/stdout (the default; editors pass it).")
@click.option("--tcp", "tcp", metavar="HOST:PORT", default=None, help="Listen on a TCP port instead of stdio.")
@verbosity_options
def serve(stdio: bool, tcp: str | None) -> None:
    """Run the language server: "Generate rustdoc" code actions on Rust items.

    Logs go to stderr; the protocol uses stdout (or the TCP connection).
    """
    address = _host_port(tcp)
    if stdio and address is not None:
        raise UserError("choose one of --stdio and --tcp")
    from lsp_server.wiring import serve as run_server

    run_server(address)


cache_dir_option = click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Cache directory (default: the Hugging Face hub cache, see HF_HOME / HF_HUB_CACHE).",
)


@click.group("model", short_help="Fetch and list GGUF models in the user cache.")
def model() -> None:
    """Fetch and list GGUF models in the user cache (the Hugging Face hub cache).

    \b
    Examples:
      rustdoc-gen model pull            # Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (about 1 GB)
      rustdoc-gen model pull Qwen/Qwen2.5-Coder-7B-Instruct-GGUF qwen2.5-coder-7b-instruct-q4_k_m.gguf
      rustdoc-gen model list
    """


@model.command("pull")
@click.argument("repo", required=False)
@click.argument("filename", metavar="[FILE]", required=False)
@click.option("--revision", default=None, help="A branch, tag or commit of the repository (default: main).")
@cache_dir_option
@verbosity_options
def pull_command(repo: str | None, filename: str | None, revision: str | None, cache_dir: str | None) -> None:
    """Download a GGUF model into the cache and print its path.

    REPO defaults to Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF and FILE to its Q4_K_M
    GGUF. A file already cached is not downloaded again. Put the printed path in
    your editor's `rustdocGen.model.path` setting.

    \b
    Example:
      rustdoc-gen model pull
      /home/me/.cache/huggingface/hub/models--Qwen--.../qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
    """
    from lsp_server import model_cache
    from rustdoc_console import is_quiet

    if filename is None and repo is not None and repo.endswith(".gguf"):
        raise UserError(f"{repo} looks like a file name: give the repository first (`model pull REPO FILE`)")
    if repo is not None and filename is None and repo != model_cache.DEFAULT_REPO:
        raise UserError(f"name the GGUF file to pull from {repo}: `rustdoc-gen model pull {repo} FILE.gguf`")
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        logging.getLogger("huggingface_hub").setLevel(logging.ERROR)  # its retry chatter; the error says it all
    try:
        path = model_cache.pull(
            repo or model_cache.DEFAULT_REPO,
            filename or model_cache.DEFAULT_FILE,
            revision=revision,
            cache=cache_dir,
            progress=not is_quiet(),
        )
    except model_cache.ModelCacheError as err:
        raise UserError(str(err)) from err
    stdout.print(str(path), markup=False)


@model.command("list")
@cache_dir_option
@verbosity_options
def list_command(cache_dir: str | None) -> None:
    """List the GGUF models in the cache: one path per line on stdout, a table on stderr.

    \b
    Example:
      rustdoc-gen model list
    """
    from lsp_server import model_cache

    try:
        models = model_cache.cached_models(cache_dir)
    except model_cache.ModelCacheError as err:
        raise UserError(str(err)) from err
    where = model_cache.cache_dir(cache_dir)
    if not models:
        logging.getLogger(__name__).info("no GGUF models in %s; `rustdoc-gen model pull` fetches one", where)
        return
    table(
        f"GGUF models in {where}",
        ("repository", "file", "revision", "size (MB)"),
        [(m.repo, m.filename, m.revision[:10], round(m.size / 1e6, 1)) for m in models],
    )
    for m in models:
        stdout.print(str(m.path), markup=False)
