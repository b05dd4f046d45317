"""`rustdoc-gen demo`: serve the demo page on localhost."""

from __future__ import annotations

from pathlib import Path

import click

from rustdoc_console import UserError, stdout, verbosity_options
from rustdoc_console.decode_options import decode_click_options


@click.command(
    "demo",
    short_help="A local web page: template and model docs side by side.",
    epilog="""\b
Examples:
  rustdoc-gen demo                                   # the template engine, http://127.0.0.1:7878/
  rustdoc-gen demo --model models/rustdoc-q4.gguf --crate ~/src/mycrate
  rustdoc-gen demo --model base.gguf --adapter adapter.gguf --port 9000
\b
Needs the [demo] extra: pip install 'rustdoc-gen[demo]'.""",
)
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              help="GGUF model whose docs are shown beside the template's.")
@click.option("--adapter", "adapter_path", type=click.Path(dir_okay=False, path_type=Path),
              help="GGUF LoRA adapter (`export --adapter-only`) applied on top of --model.")
@click.option("--crate", "crate_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A crate whose .rs files the page offers to pick from.")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True, help="Port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but localhost shows your code and model to the network.")
@decode_click_options
@verbosity_options
def demo(model_path: Path | None, adapter_path: Path | None, crate_dir: Path | None, port: int, host: str,
         **decode: object) -> None:
    """Serve a local page: paste Rust code (or pick a file of --crate) and see
    each undocumented item's doc as the template engine writes it and, with
    --model, as the model writes it, with the doc checker's findings and a
    button that copies the doc as `///` lines.

    It listens on localhost only unless --host says otherwise; Ctrl-C stops it.
    """
    try:
        import uvicorn

        from demo_page.app import LOCAL_HOSTS, create_app
    except ImportError as err:
        raise UserError(f"the demo needs the [demo] extra ({err.name} is missing): pip install 'rustdoc-gen[demo]'") from None
    from demo_page.documenting import CrateFiles
    from rustdoc_core.generation.decode import options_from_kwargs
    from rustdoc_core.generation.generators import GeneratorSpec, ModelLoadError, TemplateGenerator, make_generator

    if adapter_path is not None and model_path is None:
        raise UserError("--adapter needs --model: the base GGUF the adapter was trained on")
    generators = [TemplateGenerator()]
    if model_path is not None:
        model = make_generator(GeneratorSpec(model_path, adapter_path), options_from_kwargs(decode))
        try:
            model.load()
        except ModelLoadError as err:
            raise UserError(str(err)) from None
        generators.append(model)
    local = host in LOCAL_HOSTS
    if not local:
        click.echo(f"warning: listening on {host}: anyone who can reach it can use the page", err=True)
    app = create_app(generators, CrateFiles.scan(crate_dir) if crate_dir else None,
                     allowed_hosts=LOCAL_HOSTS if local else ["*"])
    listening = _listen(host, port)  # bound before printing the address: a busy port is one line, not a log
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    shown = f"[{host}]" if ":" in host else host
    stdout.print(f"http://{shown}:{port}/", markup=False, highlight=False)
    try:
        server.run(sockets=[listening])
    finally:
        for generator in generators:
            generator.close()


def _listen(host: str, port: int):
    import socket

    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as err:
        raise UserError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.listen(64)
    return sock
