// How the extension finds the server and what settings it sends: the rules a
// user relies on when the server "cannot be started".
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { expandPath, resolveServerCommand, ServerNotFoundError } from "../src/serverCommand";
import { serverSettings } from "../src/settings";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "rustdoc-gen-resolve-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function executable(relative: string): string {
  const file = path.join(root, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, "#!/bin/sh\n", { mode: 0o755 });
  return file;
}

const noPath = { PATH: "" };

test("rustdocGen.server.path wins and runs `serve`", () => {
  const exe = executable("custom/rustdoc-gen");
  executable("ws/.venv/bin/rustdoc-gen");
  const found = resolveServerCommand({ serverPath: exe, pythonPath: "/usr/bin/python3" }, [path.join(root, "ws")], noPath);
  assert.deepEqual(found, { command: exe, args: ["serve"], source: "rustdocGen.server.path" });
});

test("a relative rustdocGen.server.path is taken from the workspace folder", () => {
  const exe = executable("ws2/.venv/bin/rustdoc-gen");
  const found = resolveServerCommand({ serverPath: ".venv/bin/rustdoc-gen", pythonPath: "" }, [path.join(root, "ws2")], noPath);
  assert.equal(found.command, exe);
});

test("a missing rustdocGen.server.path is an error naming that setting", () => {
  assert.throws(
    () => resolveServerCommand({ serverPath: path.join(root, "nope"), pythonPath: "" }, [], noPath),
    (error: unknown) =>
      error instanceof ServerNotFoundError &&
      error.setting === "rustdocGen.server.path" &&
      error.message.includes(path.join(root, "nope")),
  );
});

test("rustdocGen.server.pythonPath runs `python -m rustdoc_cli serve`", () => {
  const python = executable("py/bin/python");
  const found = resolveServerCommand({ serverPath: "", pythonPath: python }, [], noPath);
  assert.deepEqual(found, { command: python, args: ["-m", "rustdoc_cli", "serve"], source: "rustdocGen.server.pythonPath" });
});

test("without settings the workspace .venv comes before PATH", () => {
  const venv = executable("ws3/.venv/bin/rustdoc-gen");
  const onPath = executable("bin/rustdoc-gen");
  const env = { PATH: path.dirname(onPath) };
  assert.equal(resolveServerCommand({ serverPath: "", pythonPath: "" }, [path.join(root, "ws3")], env).command, venv);
  assert.deepEqual(resolveServerCommand({ serverPath: "", pythonPath: "" }, [path.join(root, "empty")], env), {
    command: onPath,
    args: ["serve"],
    source: "PATH",
  });
});

test("nothing found: the error says how to fix it", () => {
  assert.throws(
    () => resolveServerCommand({ serverPath: "", pythonPath: "" }, [path.join(root, "empty")], noPath),
    /cannot find the `rustdoc-gen` language server on PATH.*rustdocGen\.server\.path/,
  );
});

test("paths expand ~, ${workspaceFolder} and ${env:NAME}", () => {
  assert.equal(expandPath("~/m.gguf", undefined), path.join(os.homedir(), "m.gguf"));
  assert.equal(expandPath("${workspaceFolder}/m.gguf", "/w"), "/w/m.gguf");
  assert.equal(expandPath("${env:MODELS}/m.gguf", undefined, { MODELS: "/models" }), "/models/m.gguf");
});

/** The decode settings package.json contributes, with their defaults (rustdoc_core/generation/decode.py's table; a Python test holds them equal). */
const contributedDecode: Record<string, unknown> = Object.fromEntries(
  Object.entries(
    (JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as {
      contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
    }).contributes.configuration.properties,
  )
    .filter(([key]) => key.startsWith("rustdocGen.model.") && !/\.(path|adapter)$/.test(key))
    .map(([key, schema]) => [key.slice("rustdocGen.model.".length), schema.default ?? null]),
);

test("settings follow the wire contract: every field defaulted, empty model path is null", () => {
  const defaults = serverSettings(() => undefined, undefined);
  assert.equal(defaults.model.maxTokens, 384);
  assert.equal(defaults.model.threads, null);
  assert.deepEqual(defaults.model, { path: null, adapter: null, ...contributedDecode });
  assert.deepEqual(defaults.diagnostics, { enable: false });
  assert.equal(defaults.generate.includePrivate, false);
  assert.deepEqual(defaults.rag, { enable: false });
  const values: Record<string, unknown> = {
    "model.path": "models/q4.gguf",
    "model.adapter": "~/a.gguf",
    "model.maxTokens": 128,
    "model.temperature": 0.2,
    "model.threads": 4,
    "model.contextSize": 2048,
    "diagnostics.enable": true,
    "generate.includePrivate": true,
    "rag.enable": true,
  };
  const given = serverSettings((key) => values[key], "/w");
  assert.deepEqual(given.model, {
    ...contributedDecode,
    path: "/w/models/q4.gguf",
    adapter: path.join(os.homedir(), "a.gguf"),
    maxTokens: 128,
    temperature: 0.2,
    threads: 4,
    contextSize: 2048,
  });
  assert.deepEqual(given.diagnostics, { enable: true });
  assert.equal(given.generate.includePrivate, true);
  assert.deepEqual(given.rag, { enable: true });
  assert.equal(serverSettings((key) => (key === "model.path" ? "  " : undefined), "/w").model.path, null);
  assert.equal(serverSettings((key) => (key === "model.threads" ? null : undefined), "/w").model.threads, null);
  // Out-of-range numbers go to the server as they are: it checks the bounds (rustdoc_core/generation/decode.py) and says which it ignored.
  assert.equal(serverSettings((key) => (key === "model.maxTokens" ? 0 : undefined), "/w").model.maxTokens, 0);
});
