// The extension's wire, without VS Code: vscode-languageserver-protocol (what
// vscode-languageclient is built on) against the real `rustdoc-gen serve --stdio`,
// with the settings object and server discovery the extension itself uses.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  ApplyWorkspaceEditRequest,
  type ClientCapabilities,
  type CodeAction,
  CodeActionRequest,
  CodeActionResolveRequest,
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  type InitializeResult,
  LogMessageNotification,
  type ProtocolConnection,
  RegistrationRequest,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type TextEdit,
  UnregistrationRequest,
  WorkDoneProgressCreateRequest,
  type WorkspaceEdit,
} from "vscode-languageserver-protocol/node";
import { serverSettings } from "../src/settings";
import { debianCrate, expectedText, positionOf, REPO_ROOT, serverCommand, serverPython } from "./support";

const TIMEOUT_MS = 30_000;
const defaults = serverSettings(() => undefined, REPO_ROOT);
/** What this client answers to `workspace/configuration` (section `rustdocGen`). */
let settings = defaults;

// A fixture for positions on non-ASCII lines: `ö`/`ß` are one UTF-16 unit but
// two UTF-8 bytes, the crab and the ruler two UTF-16 units (surrogate pairs).
const NON_ASCII_RS = [
  "/// Ein Maß in Metern 📏.",
  "pub struct Maß(pub f64);",
  "",
  "impl Maß {",
  '    #[deprecated(note = "🦀 größer ist besser")] pub fn größe(&self, faktor: f64) -> f64 {',
  "        self.0 * faktor",
  "    }",
  "}",
  "",
].join("\n");

interface Session {
  process: ChildProcess;
  connection: ProtocolConnection;
  initialize: InitializeResult;
  statuses: { state: string }[];
  messages: string[];
  stderr: string[];
  documents: Map<string, TextDocument>;
  configurationRequests: number;
  /** Resolved at the next `workspace/configuration` request. */
  nextConfigurationRequest: () => Promise<void>;
}

let session: Session;
let python: string;

/**
 * Applies a workspace edit as an editor does: to its own copy of each document,
 * then tells the server with an incremental `didChange` (next version).
 */
function applyEdit(edit: WorkspaceEdit, documents: Map<string, TextDocument>, connection: ProtocolConnection): void {
  const byUri = new Map<string, TextEdit[]>();
  for (const change of edit.documentChanges ?? []) {
    assert.ok("textDocument" in change, `unexpected resource operation ${JSON.stringify(change)}`);
    const current = documents.get(change.textDocument.uri);
    assert.ok(current, `edit for an unknown document ${change.textDocument.uri}`);
    if (change.textDocument.version !== null) {
      assert.equal(change.textDocument.version, current.version, "edit for a stale document version");
    }
    byUri.set(change.textDocument.uri, change.edits as TextEdit[]);
  }
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    byUri.set(uri, edits);
  }
  assert.ok(byUri.size > 0, "the workspace edit changes nothing");
  for (const [uri, edits] of byUri) {
    const current = documents.get(uri);
    assert.ok(current, `edit for an unknown document ${uri}`);
    // Bottom-up, so each change's range is valid in the text the previous ones left.
    const ordered = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
    const applied = TextDocument.applyEdits(current, edits);
    const next = TextDocument.create(uri, "rust", current.version, current.getText());
    TextDocument.update(next, ordered.map((e) => ({ range: e.range, text: e.newText })), current.version + 1);
    assert.equal(next.getText(), applied, "the incremental changes must yield the edited text");
    documents.set(uri, next);
    void connection.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: next.version },
      contentChanges: ordered.map((e) => ({ range: e.range, text: e.newText })),
    });
  }
}

async function startSession(): Promise<Session> {
  const server = serverCommand();
  python = serverPython(server);
  const child = spawn(server.command, [...server.args, "--stdio"], { stdio: ["pipe", "pipe", "pipe"], cwd: REPO_ROOT });
  const stderr: string[] = [];
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const partial = {
    process: child,
    connection,
    statuses: [] as { state: string }[],
    messages: [] as string[],
    stderr,
    documents: new Map<string, TextDocument>(),
    configurationRequests: 0,
    nextConfigurationRequest: () => new Promise<void>((resolve) => configurationWaiters.push(resolve)),
  };
  const configurationWaiters: (() => void)[] = [];
  connection.onRequest(ConfigurationRequest.type, (params) => {
    partial.configurationRequests += 1;
    configurationWaiters.splice(0).forEach((resolve) => resolve());
    return params.items.map((item) => (item.section === "rustdocGen" ? settings : null));
  });
  connection.onRequest(WorkDoneProgressCreateRequest.type, () => null);
  connection.onRequest(RegistrationRequest.type, () => undefined);
  connection.onRequest(UnregistrationRequest.type, () => undefined);
  connection.onRequest(ApplyWorkspaceEditRequest.type, (params) => {
    applyEdit(params.edit, partial.documents, connection);
    return { applied: true };
  });
  connection.onNotification("rustdocGen/status", (status: { state: string }) => partial.statuses.push(status));
  connection.onNotification(ShowMessageNotification.type, (params) => partial.messages.push(params.message));
  connection.onNotification(LogMessageNotification.type, () => undefined);
  connection.listen();

  const capabilities: ClientCapabilities = {
    general: { positionEncodings: ["utf-16"] },
    window: { workDoneProgress: true, showMessage: {} },
    workspace: {
      configuration: true,
      applyEdit: true,
      didChangeConfiguration: { dynamicRegistration: false },
      workspaceEdit: { documentChanges: true },
      executeCommand: {},
    },
    textDocument: {
      synchronization: { dynamicRegistration: false },
      codeAction: {
        dataSupport: true,
        resolveSupport: { properties: ["edit"] },
        codeActionLiteralSupport: {
          codeActionKind: { valueSet: ["", "quickfix", "refactor", "refactor.rewrite", "source"] },
        },
      },
    },
  };
  const initialize = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: null,
    capabilities,
    initializationOptions: defaults,
    clientInfo: { name: "rustdoc-gen protocol test" },
  });
  await connection.sendNotification(InitializedNotification.type, {});
  return { ...partial, initialize };
}

async function open(file: string, text: string): Promise<TextDocument> {
  const uri = `file://${file}`;
  const document = TextDocument.create(uri, "rust", 1, text);
  session.documents.set(uri, document);
  await session.connection.sendNotification(DidOpenTextDocumentNotification.type, {
    textDocument: { uri, languageId: "rust", version: 1, text },
  });
  return document;
}

async function codeActions(uri: string, position: { line: number; character: number }): Promise<CodeAction[]> {
  const result = await session.connection.sendRequest(CodeActionRequest.type, {
    textDocument: { uri },
    range: { start: position, end: position },
    context: { diagnostics: [] },
  });
  return (result ?? []).filter((entry): entry is CodeAction => "title" in entry && !("command" in entry && typeof entry.command === "string"));
}

/** Lists, resolves and applies the "Generate rustdoc" action at a position. */
async function generateWithCodeAction(uri: string, position: { line: number; character: number }): Promise<CodeAction> {
  const actions = await codeActions(uri, position);
  const generate = actions.find((action) => action.kind === "refactor.rewrite.rustdoc");
  assert.ok(generate, `no rustdoc action among ${JSON.stringify(actions.map((a) => [a.kind, a.title]))}`);
  assert.equal(generate.edit, undefined, "the edit must be computed in codeAction/resolve, not while listing");
  const resolved = await session.connection.sendRequest(CodeActionResolveRequest.type, generate);
  assert.ok(resolved.edit, "codeAction/resolve returned no edit");
  applyEdit(resolved.edit, session.documents, session.connection);
  return resolved;
}

async function withTimeout<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${TIMEOUT_MS} ms\n${session?.stderr.join("")}`)), TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

let workDir: string;

before(async () => {
  workDir = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), "rustdoc-gen-protocol-"));
  session = await withTimeout("initialize", startSession());
});

after(async () => {
  if (session) {
    await session.connection.sendRequest(ShutdownRequest.type).catch(() => undefined);
    await session.connection.sendNotification(ExitNotification.type).catch(() => undefined);
    session.connection.dispose();
    if (session.process.exitCode === null) {
      await withTimeout("exit", new Promise((resolve) => session.process.once("exit", resolve)));
    }
  }
  fs.rmSync(workDir, { recursive: true, force: true });
});

test("initialize advertises resolvable code actions and the generate commands", () => {
  const { capabilities } = session.initialize;
  const codeActionProvider = capabilities.codeActionProvider;
  assert.ok(codeActionProvider && typeof codeActionProvider === "object", "codeActionProvider must be an options object");
  assert.equal(codeActionProvider.resolveProvider, true);
  assert.ok(codeActionProvider.codeActionKinds?.includes("refactor.rewrite.rustdoc"));
  assert.ok(codeActionProvider.codeActionKinds?.includes("source.rustdoc"));
  const commands = capabilities.executeCommandProvider?.commands ?? [];
  assert.ok(commands.includes("rustdocGen.generateAtCursor"), `commands: ${commands}`);
  assert.ok(commands.includes("rustdocGen.generateFile"), `commands: ${commands}`);
  assert.equal(capabilities.positionEncoding ?? "utf-16", "utf-16");
});

test("code action on a real Debian crate function inserts exactly the core's doc above it", async () => {
  const file = path.join(workDir, "lib.rs");
  const original = fs.readFileSync(path.join(debianCrate("globset"), "src", "lib.rs"), "utf8");
  const document = await open(file, original);
  const position = positionOf(original, "fn new_regex(pat: &str)");
  position.character += "fn ".length;

  const action = await withTimeout("code action", generateWithCodeAction(document.uri, position));

  assert.equal(action.title, "Generate rustdoc for `fn new_regex`");
  const expected = expectedText(python, original, position);
  const after = session.documents.get(document.uri)!.getText();
  assert.equal(after, expected.text);
  // Independently of the core: only `///` lines were added, right above the function.
  const before = original.split("\n");
  const now = after.split("\n");
  const added = now.length - before.length;
  assert.ok(added > 0);
  assert.deepEqual(now.slice(0, position.line), before.slice(0, position.line));
  assert.deepEqual(now.slice(position.line + added), before.slice(position.line));
  for (const line of now.slice(position.line, position.line + added)) {
    assert.match(line, /^\/\/\/( |$)/);
  }
});

test("an edit after an incremental change on a non-ASCII line lands where UTF-16 positions say", async () => {
  const file = path.join(workDir, "masse.rs");
  const document = await open(file, NON_ASCII_RS);
  // Type a comment with a surrogate pair into the struct line, incrementally.
  const structLine = 1;
  const insertAt = { line: structLine, character: "pub struct Maß(pub f64);".length };
  const typed = " // 🦀";
  await session.connection.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri: document.uri, version: 2 },
    contentChanges: [{ range: { start: insertAt, end: insertAt }, text: typed }],
  });
  const changed = TextDocument.update(document, [{ range: { start: insertAt, end: insertAt }, text: typed }], 2);
  session.documents.set(document.uri, changed);
  const text = changed.getText();
  // The cursor on `faktor`, after the crab (2 UTF-16 units) and `ö`/`ß`.
  const position = positionOf(text, "faktor: f64");

  const action = await withTimeout("code action", generateWithCodeAction(document.uri, position));

  assert.equal(action.title, "Generate rustdoc for `fn größe`");
  assert.equal(session.documents.get(document.uri)!.getText(), expectedText(python, text, position).text);
});

test("rustdocGen.generateAtCursor makes the server apply the same edit as the code action", async () => {
  const file = path.join(workDir, "command.rs");
  const original = fs.readFileSync(path.join(debianCrate("globset"), "src", "lib.rs"), "utf8");
  const document = await open(file, original);
  const position = positionOf(original, "fn new_regex_set<I, S>");
  position.character += "fn ".length;

  await withTimeout(
    "executeCommand",
    session.connection.sendRequest(ExecuteCommandRequest.type, {
      command: "rustdocGen.generateAtCursor",
      arguments: [document.uri, position],
    }),
  );

  assert.equal(session.documents.get(document.uri)!.getText(), expectedText(python, original, position).text);
});

test("after edits from a code action and from a server command, the server's text is the editor's", async () => {
  const file = path.join(workDir, "sequence.rs");
  const original = fs.readFileSync(path.join(debianCrate("globset"), "src", "lib.rs"), "utf8");
  const document = await open(file, original);
  const first = positionOf(original, "fn new_regex(pat: &str)");
  await withTimeout("code action", generateWithCodeAction(document.uri, first));
  const afterFirst = session.documents.get(document.uri)!.getText();
  const second = positionOf(afterFirst, "fn new_regex_set<I, S>");
  await withTimeout(
    "executeCommand",
    session.connection.sendRequest(ExecuteCommandRequest.type, { command: "rustdocGen.generateAtCursor", arguments: [document.uri, second] }),
  );
  const afterSecond = session.documents.get(document.uri)!.getText();
  assert.notEqual(afterSecond, afterFirst);

  // Right away, as an editor would: an item further down, where both edits moved it.
  const third = positionOf(afterSecond, "struct LiteralStrategy(");
  third.character += "struct ".length;
  const action = await withTimeout("code action", generateWithCodeAction(document.uri, third));
  assert.equal(action.title, "Generate rustdoc for `struct LiteralStrategy`");
  assert.equal(session.documents.get(document.uri)!.getText(), expectedText(python, afterSecond, third).text);
});

test("the source action documents every undocumented public item of the file, adding only `///` lines", async () => {
  const file = path.join(workDir, "source.rs");
  const original = [
    "use std::io;",
    "",
    "pub fn read_config(path: &str) -> io::Result<String> {",
    "    std::fs::read_to_string(path)",
    "}",
    "",
    "/// Already documented.",
    "pub fn documented() {}",
    "",
    "pub struct Größe {",
    "    pub wert: u32,",
    "}",
    "",
  ].join("\n");
  const document = await open(file, original);
  const actions = await withTimeout("code action", codeActions(document.uri, { line: 0, character: 0 }));
  const fileAction = actions.find((action) => action.kind === "source.rustdoc");
  assert.ok(fileAction, `no source action among ${JSON.stringify(actions.map((a) => [a.kind, a.title]))}`);
  assert.equal(fileAction.title, "Generate rustdoc for all undocumented items in this file");
  const resolved = await withTimeout("resolve", session.connection.sendRequest(CodeActionResolveRequest.type, fileAction));
  assert.ok(resolved.edit, "codeAction/resolve returned no edit");
  applyEdit(resolved.edit, session.documents, session.connection);

  const now = session.documents.get(document.uri)!.getText().split("\n");
  assert.deepEqual(
    now.filter((line) => !line.trimStart().startsWith("///")),
    original.split("\n").filter((line) => !line.trimStart().startsWith("///")),
    "only doc lines may be added",
  );
  for (const signature of ["pub fn read_config(", "pub struct Größe {"]) {
    const index = now.findIndex((line) => line.startsWith(signature));
    assert.match(now[index - 1], /^\/\/\/ /, `${signature} has no doc above it`);
  }
  assert.equal(now.filter((line) => line === "/// Already documented.").length, 1);
});

test("without a model the server reports the `template` state", () => {
  assert.ok(
    session.statuses.some((status) => status.state === "template"),
    `statuses: ${JSON.stringify(session.statuses)}`,
  );
});

test("a changed model path is re-read without a restart: a missing file falls back to the template with a message", async () => {
  const missing = path.join(workDir, "no-such-model.gguf");
  settings = { ...defaults, model: { ...defaults.model, path: missing } };
  const reread = session.nextConfigurationRequest();
  await session.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { rustdocGen: settings } });
  await withTimeout("workspace/configuration after didChangeConfiguration", reread);

  const file = path.join(workDir, "after-settings.rs");
  const original = fs.readFileSync(path.join(debianCrate("globset"), "src", "lib.rs"), "utf8");
  const document = await open(file, original);
  const position = positionOf(original, "fn new_regex(pat: &str)");
  await withTimeout("code action", generateWithCodeAction(document.uri, position));

  assert.equal(session.documents.get(document.uri)!.getText(), expectedText(python, original, position).text);
  assert.ok(
    session.messages.some((message) => message.includes(missing)),
    `no window/showMessage names the missing model: ${JSON.stringify(session.messages)}`,
  );
  assert.ok(session.statuses.some((status) => status.state === "error"), `statuses: ${JSON.stringify(session.statuses)}`);
});
