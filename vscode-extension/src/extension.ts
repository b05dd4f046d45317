// rustdoc-gen for VS Code: starts `rustdoc-gen serve --stdio` for Rust files
// and lets vscode-languageclient carry the code actions, commands, work-done
// progress (a cancellable notification) and edits. What is ours: finding the
// server, the settings object, the status bar, and the command arguments.
import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  type ErrorHandler,
  LanguageClient,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";
import { NotificationProgressFeature } from "./progress";
import { resolveServerCommand, ServerNotFoundError, type ServerCommand } from "./serverCommand";
import { serverSettings, type ServerSettings } from "./settings";
import { StatusBar, STATUS_NOTIFICATION, type ServerStatus } from "./statusBar";

const SECTION = "rustdocGen";
const GENERATE_AT_CURSOR = "rustdocGen.generateAtCursor";
const GENERATE_FILE = "rustdocGen.generateFile";
const RESTART = "rustdocGen.restartServer";
const SHOW_OUTPUT = "rustdocGen.showOutput";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
let statusBar: StatusBar;

function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
}

function currentSettings(scope?: vscode.Uri): ServerSettings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  const folder = scope ? vscode.workspace.getWorkspaceFolder(scope) : vscode.workspace.workspaceFolders?.[0];
  return serverSettings((key) => config.get(key), folder?.uri.fsPath);
}

function findServer(): ServerCommand {
  const config = vscode.workspace.getConfiguration(SECTION);
  return resolveServerCommand(
    { serverPath: config.get<string>("server.path") ?? "", pythonPath: config.get<string>("server.pythonPath") ?? "" },
    workspaceFolderPaths(),
  );
}

/**
 * The server's commands (advertised through `executeCommandProvider`, and so
 * registered by the language client) need arguments; from the command palette,
 * a menu or a key binding they come without, so take them from the editor.
 */
function commandArguments(command: string, args: unknown[]): unknown[] | undefined {
  if (args.length > 0 || (command !== GENERATE_AT_CURSOR && command !== GENERATE_FILE)) {
    return args;
  }
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "rust") {
    void vscode.window.showWarningMessage("rustdoc-gen: open a Rust file first.");
    return undefined;
  }
  const uri = editor.document.uri.toString();
  if (command === GENERATE_FILE) {
    return [uri];
  }
  const { line, character } = editor.selection.active;
  return [uri, { line, character }];
}

const middleware: Middleware = {
  executeCommand: async (command, args, next) => {
    const filled = commandArguments(command, args);
    return filled === undefined ? undefined : next(command, filled);
  },
  workspace: {
    // Section `rustdocGen` is answered with the contract's object (defaults
    // filled, paths expanded), not VS Code's raw tree with our `server.*` keys.
    configuration: async (params, token, next) => {
      const answers = await next(params, token);
      if (!Array.isArray(answers)) {
        return answers;
      }
      return params.items.map((item, index) =>
        item.section === SECTION
          ? currentSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
          : answers[index],
      );
    },
  },
};

function createClient(server: ServerCommand): LanguageClient {
  output.appendLine(`Starting ${server.command} ${[...server.args, "--stdio"].join(" ")} (found through ${server.source})`);
  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    transport: TransportKind.stdio,
    options: { cwd: workspaceFolderPaths()[0], env: { ...process.env, PYTHONUNBUFFERED: "1" } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "rust" },
      { scheme: "untitled", language: "rust" },
    ],
    initializationOptions: currentSettings(),
    outputChannel: output,
    traceOutputChannel: output,
    middleware,
  };
  let reachedRunning = false;
  // Before the server ever ran, startServer() says what went wrong, once; the
  // client's own messages ("connection to server is erroring") would only repeat it.
  // Once it ran, a crash restarts it as the language client does by default.
  const errorHandler: ErrorHandler = {
    error: (error, message, count) =>
      reachedRunning ? defaultHandler.error(error, message, count) : { action: ErrorAction.Shutdown, handled: true },
    closed: () => (reachedRunning ? defaultHandler.closed() : { action: CloseAction.DoNotRestart, handled: true }),
  };
  clientOptions.errorHandler = errorHandler;
  clientOptions.initializationFailedHandler = () => false; // startServer() reports it
  const created = new LanguageClient(SECTION, "rustdoc-gen", serverOptions, clientOptions);
  const defaultHandler = created.createDefaultErrorHandler(4);
  created.onNotification(STATUS_NOTIFICATION, (status: ServerStatus) => statusBar.update(status));
  created.registerFeature(new NotificationProgressFeature(created));
  created.onDidChangeState(({ newState }) => {
    if (newState === State.Starting) {
      statusBar.starting();
    } else if (newState === State.Running) {
      reachedRunning = true;
    } else if (newState === State.Stopped) {
      statusBar.stopped(null);
    }
  });
  return created;
}

async function showStartError(message: string, setting: string): Promise<void> {
  output.appendLine(message);
  statusBar.stopped(message);
  const openSettings = "Open settings";
  const showOutput = "Show output";
  const choice = await vscode.window.showErrorMessage(message, openSettings, showOutput);
  if (choice === openSettings) {
    // The server settings are machine-scoped: in a remote window (SSH, containers,
    // code-server) they live in the Remote tab, where the server runs.
    const command = vscode.env.remoteName ? "workbench.action.openRemoteSettings" : "workbench.action.openSettings";
    await vscode.commands.executeCommand(command, { query: setting });
  } else if (choice === showOutput) {
    output.show(true);
  }
}

async function startServer(): Promise<void> {
  let server: ServerCommand;
  try {
    server = findServer();
  } catch (error) {
    if (error instanceof ServerNotFoundError) {
      void showStartError(error.message, error.setting);
      return;
    }
    throw error;
  }
  client = createClient(server);
  try {
    await client.start();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const setting = server.source === "rustdocGen.server.pythonPath" ? "rustdocGen.server.pythonPath" : "rustdocGen.server.path";
    void showStartError(
      `rustdoc-gen: the language server (${server.command}) could not start: ${reason}. ` +
        "Check that rustdoc-gen is installed in that environment, or point the setting at it.",
      setting,
    );
    const failed = client;
    client = undefined;
    await failed.dispose().catch(() => undefined);
  }
}

async function stopServer(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.dispose(2000).catch((error: unknown) => output.appendLine(`Stopping the server: ${String(error)}`));
  }
}

async function restartServer(): Promise<void> {
  await stopServer();
  await startServer();
}

function onConfigurationChanged(event: vscode.ConfigurationChangeEvent): void {
  if (event.affectsConfiguration(`${SECTION}.server`)) {
    output.appendLine("The server location changed: restarting the server.");
    void restartServer();
    return;
  }
  if (client?.isRunning() && event.affectsConfiguration(SECTION)) {
    // The server re-reads section `rustdocGen` (and picks up a new model path
    // without a restart); the payload carries the same object for servers that read it.
    void client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SECTION]: currentSettings() } });
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("rustdoc-gen");
  statusBar = new StatusBar(SHOW_OUTPUT);
  context.subscriptions.push(
    output,
    statusBar,
    vscode.commands.registerCommand(RESTART, restartServer),
    vscode.commands.registerCommand(SHOW_OUTPUT, () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration(onConfigurationChanged),
  );
  await startServer();
}

export async function deactivate(): Promise<void> {
  await stopServer();
}
