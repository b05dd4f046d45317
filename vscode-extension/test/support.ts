// What the Node tests share: the repository, the real server, real Rust input
// (Debian's crate sources), and the text the shared core says an edit yields.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { resolveServerCommand, type ServerCommand } from "../src/serverCommand";

/** The repository root (tests run from vscode-extension/, bundled into dist/test/). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/**
 * The real `rustdoc-gen` server, found by the extension's own rules with the
 * repository as the workspace (its .venv), or `RUSTDOC_GEN_SERVER`.
 */
export function serverCommand(): ServerCommand {
  return resolveServerCommand({ serverPath: process.env.RUSTDOC_GEN_SERVER ?? "", pythonPath: "" }, [REPO_ROOT]);
}

/** The Python interpreter of the server's environment (it has rustdoc_core). */
export function serverPython(server: ServerCommand): string {
  if (server.source === "rustdocGen.server.pythonPath") {
    return server.command;
  }
  const beside = path.join(path.dirname(server.command), "python");
  return fs.existsSync(beside) ? beside : "python3";
}

/** A read-only Debian crate source directory (`globset` -> .../globset-0.4.9). */
export function debianCrate(name: string): string {
  const out = execFileSync(path.join(REPO_ROOT, "scripts", "fetch-debian-crates"), { encoding: "utf8" });
  const registry = out.trim().split("\n").pop() ?? "";
  const match = fs
    .readdirSync(registry)
    .filter((dir) => dir.slice(0, dir.lastIndexOf("-")) === name)
    .sort()
    .pop();
  if (match === undefined) {
    throw new Error(`crate ${name} is not in ${registry}`);
  }
  return path.join(registry, match);
}

/** The 0-based line and UTF-16 character where `needle` first occurs in `text`. */
export function positionOf(text: string, needle: string): { line: number; character: number } {
  const offset = text.indexOf(needle);
  if (offset < 0) {
    throw new Error(`${JSON.stringify(needle)} is not in the text`);
  }
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

const EXPECTED_TEXT_PY = `
import json, sys
from rustdoc_core.docs.edits import apply_edits, doc_edit
from rustdoc_core.rust.items import RustSource
from rustdoc_core.generation.template import template_doc

request = json.load(sys.stdin)
text = request["text"]
source = RustSource(text)
item = source.item_at(request["line"], request["character"], "utf-16")
if item is None:
    sys.exit("no item at the position")
json.dump({"text": apply_edits(text, [doc_edit(source, item, template_doc(item))]), "label": item.label}, sys.stdout)
`;

/**
 * The text after the template engine documents the item at (line, UTF-16
 * character), as the shared core computes it: what any client must end up with.
 */
export function expectedText(
  python: string,
  text: string,
  position: { line: number; character: number },
): { text: string; label: string } {
  const out = execFileSync(python, ["-c", EXPECTED_TEXT_PY], {
    input: JSON.stringify({ text, ...position }),
    encoding: "utf8",
  });
  return JSON.parse(out) as { text: string; label: string };
}
