// End to end in a real VS Code: code-server runs the workbench and the extension
// host; Debian's Chromium, driven by playwright-core, is the user. The packaged
// .vsix is installed, a real crate file is opened, Ctrl+. then Enter applies
// "Generate rustdoc", Ctrl+S saves, and the file on disk must be exactly what
// the shared core says.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { serverCommand, serverPython, debianCrate, expectedText, positionOf, REPO_ROOT } from "../test/support";
import {
  ensureCodeServer,
  installExtension,
  makeProfile,
  type RunningCodeServer,
  startCodeServer,
} from "./codeServer";

const EXTENSION_DIR = path.join(REPO_ROOT, "vscode-extension");
const CHROMIUM = process.env.RUSTDOC_GEN_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = path.join(REPO_ROOT, ".cache", "e2e");
const STEP_MS = 60_000;

let home: string;
let codeServer: RunningCodeServer | undefined;
let browser: Browser | undefined;
let page: Page | undefined;
let workspace: string;


function log(line: string): void {
  process.stderr.write(`[e2e] ${line}\n`);
}

function packagedVsix(): string {
  const { version } = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, "package.json"), "utf8")) as { version: string };
  const vsix = path.join(EXTENSION_DIR, `rustdoc-gen-${version}.vsix`);
  assert.ok(fs.existsSync(vsix), `${vsix} is missing: run \`npm run package\` first (npm run test:e2e does)`);
  return vsix;
}

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-editor-deps`);
  const entry = ensureCodeServer(log);
  const server = serverCommand();
  home = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), "rustdoc-gen-e2e-"));
  workspace = path.join(home, "workspace", "globset");
  fs.cpSync(debianCrate("globset"), workspace, { recursive: true });
  const profile = makeProfile(home, {
    "rustdocGen.server.path": server.command,
    "security.workspace.trust.enabled": false,
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "git.enabled": false,
    "files.autoSave": "off",
    "editor.formatOnSave": false,
    "chat.disableAIFeatures": true,
    // The LSP messages go to the output channel, kept with the logs when a test fails.
    "rustdocGen.trace.server": "verbose",
  });
  log(installExtension(entry, profile, packagedVsix()).trim());
  codeServer = await startCodeServer(entry, profile, workspace, STEP_MS);
  log(`code-server at ${codeServer.url}`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-dev-shm-usage",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-default-apps",
      "--disable-sync",
      "--no-first-run",
      "--disable-features=Translate,OptimizationHints,MediaRouter",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(STEP_MS);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await codeServer?.stop();
  if (home) {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

async function saveArtifacts(name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page?.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) }).catch(() => undefined);
  fs.writeFileSync(path.join(ARTIFACTS, `${name}.code-server.log`), codeServer?.output.join("") ?? "");
  // VS Code's own logs, the extension's output channel (the server's stderr) among them.
  const logs = path.join(home, "user-data", "logs");
  if (fs.existsSync(logs)) {
    fs.cpSync(logs, path.join(ARTIFACTS, `${name}.logs`), { recursive: true });
  }
  log(`screenshot and code-server log in ${ARTIFACTS}`);
}

/** Quick open takes `file:line:column` (1-based); waits until the cursor is there. */
async function goTo(p: Page, file: string, position: { line: number; character: number }): Promise<void> {
  await p.keyboard.press("Control+P");
  const quickInput = p.locator(".quick-input-widget input");
  await quickInput.waitFor();
  await quickInput.fill(`${file}:${position.line + 1}:${position.character + 1}`);
  await p.locator(".quick-input-list .monaco-list-row", { hasText: path.basename(file) }).first().waitFor();
  await p.keyboard.press("Enter");
  await p.locator(".statusbar-item", { hasText: `Ln ${position.line + 1}, Col ${position.character + 1}` }).waitFor();
}

/** Ctrl+. and, with keys (clicks on that menu were unreliable), Enter on the action titled `title`. */
async function applyCodeAction(p: Page, title: string): Promise<void> {
  const menu = p.locator(".action-widget");
  const row = menu.locator(".monaco-list-row", { hasText: title });
  const none = p.locator(".monaco-editor-overlaymessage", { hasText: "No code actions available" });
  // VS Code drops an invoked code-action request that a concurrent update
  // (markers, settings) cancels, and says "No code actions available": ask again then.
  for (let attempt = 1; ; attempt++) {
    await p.locator(".monaco-editor textarea").first().focus();
    await p.keyboard.press("Control+.");
    const shown = await Promise.race([row.waitFor().then(() => "menu"), none.waitFor().then(() => "none")]);
    if (shown === "menu") {
      break;
    }
    log(`Ctrl+. found no code actions (attempt ${attempt})`);
    assert.ok(attempt < 3, `no code actions at the cursor after ${attempt} attempts; expected ${title}`);
    await p.keyboard.press("Escape");
    await none.waitFor({ state: "hidden" });
  }
  // The menu takes the keyboard once its list has the focus.
  await menu.locator(".monaco-list:focus-within").waitFor();
  const rows = await menu.locator(".monaco-list-row.action").count();
  for (let i = 0; i < rows; i++) {
    if ((await menu.locator(".monaco-list-row.focused").textContent())?.includes(title)) {
      break;
    }
    await p.keyboard.press("ArrowDown");
  }
  assert.ok((await menu.locator(".monaco-list-row.focused").textContent())?.includes(title), `${title} is not in the menu`);
  await p.keyboard.press("Enter");
  await menu.waitFor({ state: "hidden" });
}

/** Ctrl+S, and wait until the active tab is clean again. */
async function save(p: Page): Promise<void> {
  await p.keyboard.press("Control+S");
  await p.locator(".tabs-container .tab.active.dirty").waitFor({ state: "detached" });
}

test("Ctrl+. then Enter in VS Code writes the rustdoc, and the saved file is exactly the core's", { timeout: 300_000 }, async () => {
  const file = path.join(workspace, "src", "lib.rs");
  const original = fs.readFileSync(file, "utf8");
  const position = positionOf(original, "fn new_regex(pat: &str)");
  position.character += "fn ".length;
  const expected = expectedText(serverPython(serverCommand()), original, position);
  const p = page!;
  try {
    await p.goto(codeServer!.url);
    await p.locator(".monaco-workbench").waitFor();
    // The explorer shows the folder: the workbench is up.
    await p.locator(".explorer-folders-view").waitFor();

    await goTo(p, "src/lib.rs", position);
    // The extension started the server, which reported its state.
    await p.locator(".statusbar-item", { hasText: "rustdoc: template" }).waitFor();

    await applyCodeAction(p, "Generate rustdoc for `fn new_regex`");
    // The edit arrives through codeAction/resolve; the tab turns dirty, then clean after saving.
    await p.locator(".tabs-container .tab.active.dirty").waitFor();
    await save(p);
    assert.match((await p.locator(".tabs-container .tab.active").textContent()) ?? "", /lib\.rs/);

    assert.equal(fs.readFileSync(file, "utf8"), expected.text);
  } catch (error) {
    await saveArtifacts("vscode-code-action");
    throw error;
  }
});

test("the command palette's \"Generate rustdoc for the item at the cursor\" fills in the cursor for the server command", { timeout: 120_000 }, async () => {
  const file = path.join(workspace, "src", "lib.rs");
  const current = fs.readFileSync(file, "utf8");
  const position = positionOf(current, "fn new_regex_set<I, S>");
  position.character += "fn ".length;
  const expected = expectedText(serverPython(serverCommand()), current, position);
  const p = page!;
  try {
    await goTo(p, "src/lib.rs", position);

    await p.keyboard.press("F1");
    const quickInput = p.locator(".quick-input-widget input");
    await quickInput.waitFor();
    await quickInput.fill(">rustdoc-gen: Generate rustdoc for the item at the cursor");
    await p.locator(".quick-input-list .monaco-list-row.focused", { hasText: "Generate rustdoc for the item at the cursor" }).waitFor();
    await p.keyboard.press("Enter");

    await p.locator(".tabs-container .tab.active.dirty").waitFor();
    await save(p);

    assert.equal(fs.readFileSync(file, "utf8"), expected.text);
  } catch (error) {
    await saveArtifacts("vscode-command-palette");
    throw error;
  }
});

test("clicking the status-bar item shows the server's output", { timeout: 120_000 }, async () => {
  const p = page!;
  try {
    await p.locator(".statusbar-item", { hasText: "rustdoc: template" }).click();
    // The Output view, showing our channel (the server's log).
    await p.waitForFunction(
      `document.querySelector(".part.panel select.monaco-select-box")?.selectedOptions[0]?.textContent === "rustdoc-gen"`,
    );
    // ... and it is not empty (what its last lines say depends on the trace level).
    await p.locator(".part.panel .view-line").first().waitFor();
  } catch (error) {
    await saveArtifacts("vscode-status-bar");
    throw error;
  }
});

/** Opens the Settings editor's Remote tab (machine-scoped settings live there in code-server) and sets one string setting. */
async function setRemoteSetting(p: Page, id: string, description: string, value: string): Promise<void> {
  await p.keyboard.press("F1");
  const quickInput = p.locator(".quick-input-widget input");
  await quickInput.fill(">Preferences: Open Remote Settings");
  await p.locator(".quick-input-list .monaco-list-row", { hasText: /Open Remote Settings \((?!JSON)/ }).first().click();
  const settingsEditor = p.locator(".settings-editor");
  await settingsEditor.locator(".settings-tabs-widget .action-label.checked", { hasText: "Remote" }).waitFor();
  await settingsEditor.locator(".settings-header .suggest-input-container").click();
  await p.keyboard.press("Control+A");
  await p.keyboard.type(id);
  const setting = settingsEditor.locator(".setting-item-contents", { hasText: description }).first();
  await setting.locator("input").fill(value);
  // Written to the settings file (the editor marks it as set in this scope).
  await settingsEditor.locator(".setting-item-contents.is-configured", { hasText: description }).waitFor();
  await p.keyboard.press("Control+W");
  await settingsEditor.waitFor({ state: "detached" });
}

test("a model path set in Settings reaches the running server: it names the missing file, and generation falls back to the template", { timeout: 120_000 }, async () => {
  const p = page!;
  const missing = path.join(home, "models", "missing.gguf");
  const file = path.join(workspace, "src", "lib.rs");
  const current = fs.readFileSync(file, "utf8");
  const position = positionOf(current, "struct LiteralStrategy(");
  position.character += "struct ".length;
  const expected = expectedText(serverPython(serverCommand()), current, position);
  try {
    await setRemoteSetting(p, "rustdocGen.model.path", "A GGUF model file", missing);
    // The server re-read its settings and tried the model.
    await p.locator(".notification-toast", { hasText: missing }).first().waitFor();
    await p.locator(".statusbar-item", { hasText: "rustdoc: error" }).waitFor();

    await goTo(p, "src/lib.rs", position);
    await applyCodeAction(p, "Generate rustdoc for `struct LiteralStrategy`");
    await p.locator(".tabs-container .tab.active.dirty").waitFor();
    await save(p);

    assert.equal(fs.readFileSync(file, "utf8"), expected.text);
  } catch (error) {
    await saveArtifacts("vscode-model-path");
    throw error;
  }
});

/**
 * A tiny random-weight GGUF (real Qwen2 vocabulary) as the pytest fixtures
 * build it into .cache/test-models, or RUSTDOC_GEN_E2E_GGUF. Nothing is built here.
 */
function tinyGguf(): string | undefined {
  if (process.env.RUSTDOC_GEN_E2E_GGUF) {
    return process.env.RUSTDOC_GEN_E2E_GGUF;
  }
  const models = path.join(REPO_ROOT, ".cache", "test-models");
  if (!fs.existsSync(models)) {
    return undefined;
  }
  return fs
    .readdirSync(models)
    .filter((dir) => dir.startsWith("tiny-qwen2-q4_k_m-") && fs.existsSync(path.join(models, dir, ".complete")))
    .map((dir) => path.join(models, dir, "tiny-qwen2-q4_k_m.gguf"))
    .filter((file) => fs.existsSync(file))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

const gguf = tinyGguf();

test(
  "with a model, generation shows a cancellable progress notification, and Cancel stops it without an edit",
  { timeout: 180_000, skip: gguf === undefined ? "no tiny GGUF in .cache/test-models (the pytest suite builds it)" : false },
  async () => {
    const p = page!;
    const file = path.join(workspace, "src", "lib.rs");
    const before = fs.readFileSync(file, "utf8");
    const position = positionOf(before, "fn new_regex(pat: &str)");
    try {
      // A random-weight model writes until max tokens: long enough to cancel.
      await setRemoteSetting(p, "rustdocGen.model.maxTokens", "Most tokens the model may generate for one doc", "4096");
      await setRemoteSetting(p, "rustdocGen.model.path", "A GGUF model file", gguf!);
      // The server re-read its settings and loaded the model.
      await p.locator(".statusbar-item", { hasText: "rustdoc: ready" }).waitFor();

      await goTo(p, "src/lib.rs", { line: position.line, character: position.character + 3 });
      await applyCodeAction(p, "Regenerate rustdoc for `fn new_regex`");

      await p.locator(".statusbar-item", { hasText: "rustdoc: generating" }).waitFor();
      const progress = p.locator(".notification-toast", { has: p.locator(".monaco-button", { hasText: "Cancel" }) });
      await progress.waitFor();
      await progress.locator(".monaco-button", { hasText: "Cancel" }).click();
      await progress.waitFor({ state: "detached" });
      await p.locator(".statusbar-item", { hasText: "rustdoc: ready" }).waitFor();

      assert.equal(await p.locator(".tabs-container .tab.active.dirty").count(), 0, "a cancelled generation must not edit");
      assert.equal(fs.readFileSync(file, "utf8"), before);
    } catch (error) {
      await saveArtifacts("vscode-progress");
      throw error;
    }
  },
);

test("a server path that does not exist: one error naming it, and \"Open settings\" opens that setting", { timeout: 120_000 }, async () => {
  const p = page!;
  const missing = path.join(home, "missing", "rustdoc-gen");
  try {
    // As a user would: in the Settings editor.
    await setRemoteSetting(p, "rustdocGen.server.path", "Path to the rustdoc-gen executable", missing);
    const toast = p.locator(".notification-toast", { hasText: `"${missing}" (rustdocGen.server.path) does not exist` });
    await toast.waitFor();
    await p.locator(".statusbar-item", { hasText: "rustdoc: stopped" }).waitFor();
    await toast.locator(".monaco-button", { hasText: "Open settings" }).click();
    await p
      .locator(".settings-editor .setting-item-contents", { hasText: "Path to the rustdoc-gen executable" })
      .first()
      .waitFor();
  } catch (error) {
    await saveArtifacts("vscode-missing-server");
    throw error;
  }
});

test("a server path to a program that is not the server: one error saying it could not start", { timeout: 120_000 }, async () => {
  const p = page!;
  const notServer = "/bin/false";
  try {
    await setRemoteSetting(p, "rustdocGen.server.path", "Path to the rustdoc-gen executable", notServer);
    const toast = p.locator(".notification-toast", { hasText: `the language server (${notServer}) could not start` });
    await toast.waitFor();
    await toast.locator(".monaco-button", { hasText: "Open settings" }).waitFor();
    await p.locator(".statusbar-item", { hasText: "rustdoc: stopped" }).waitFor();
    // Not repeated by the language client's own messages.
    assert.equal(await p.locator(".notification-toast", { hasText: /connection to server is erroring|initialization failed/i }).count(), 0);
  } catch (error) {
    await saveArtifacts("vscode-not-a-server");
    throw error;
  }
});
