// Where the language server comes from: settings first, then the workspace's
// virtual environment, then PATH. Pure (no `vscode` import) so the Node tests
// exercise the same code the extension runs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface ServerLocationSettings {
  /** `rustdocGen.server.path`: the `rustdoc-gen` executable. */
  serverPath: string;
  /** `rustdocGen.server.pythonPath`: an interpreter with rustdoc-gen installed. */
  pythonPath: string;
}

export interface ServerCommand {
  command: string;
  /** Without `--stdio`: vscode-languageclient appends it for the stdio transport. */
  args: string[];
  /** Which rule found it, for the output channel and error messages. */
  source: "rustdocGen.server.path" | "rustdocGen.server.pythonPath" | "workspace .venv" | "PATH";
}

export class ServerNotFoundError extends Error {
  constructor(
    message: string,
    /** The setting the user should look at. */
    readonly setting: string,
  ) {
    super(message);
    this.name = "ServerNotFoundError";
  }
}

const EXECUTABLE = process.platform === "win32" ? "rustdoc-gen.exe" : "rustdoc-gen";
const VENV_BIN = process.platform === "win32" ? "Scripts" : "bin";

/** `~`, `${userHome}`, `${workspaceFolder}` and `${env:NAME}` as in VS Code's own path settings. */
export function expandPath(value: string, workspaceFolder: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  let out = value.trim();
  if (out === "~" || out.startsWith("~/")) {
    out = path.join(os.homedir(), out.slice(1));
  }
  out = out.replace(/\$\{userHome\}/g, os.homedir());
  out = out.replace(/\$\{env:([^}]+)\}/g, (_match, name: string) => env[name] ?? "");
  if (workspaceFolder !== undefined) {
    out = out.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
    if (out !== "" && !path.isAbsolute(out) && (out.includes("/") || out.includes("\\"))) {
      out = path.join(workspaceFolder, out);
    }
  }
  return out;
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first `name` on PATH that is an executable file, like `which`. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") {
      continue;
    }
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** A path given in a setting, expanded and found; throws naming the setting when it is not executable. */
function configuredExecutable(
  value: string,
  setting: string,
  what: string,
  folder: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  const command = expandPath(value, folder, env);
  const found = path.isAbsolute(command) ? (isExecutableFile(command) ? command : undefined) : findOnPath(command, env);
  if (found === undefined) {
    throw new ServerNotFoundError(`rustdoc-gen: the ${what} "${command}" (${setting}) does not exist or is not executable.`, setting);
  }
  return found;
}

/**
 * The command that starts `rustdoc-gen serve`. Throws ServerNotFoundError with a
 * message that says what was tried and which setting to change.
 */
export function resolveServerCommand(
  settings: ServerLocationSettings,
  workspaceFolders: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ServerCommand {
  const folder = workspaceFolders[0];
  if (settings.serverPath.trim() !== "") {
    const command = configuredExecutable(settings.serverPath, "rustdocGen.server.path", "server executable", folder, env);
    return { command, args: ["serve"], source: "rustdocGen.server.path" };
  }
  if (settings.pythonPath.trim() !== "") {
    const python = configuredExecutable(settings.pythonPath, "rustdocGen.server.pythonPath", "Python interpreter", folder, env);
    return { command: python, args: ["-m", "rustdoc_cli", "serve"], source: "rustdocGen.server.pythonPath" };
  }
  for (const workspace of workspaceFolders) {
    const candidate = path.join(workspace, ".venv", VENV_BIN, EXECUTABLE);
    if (isExecutableFile(candidate)) {
      return { command: candidate, args: ["serve"], source: "workspace .venv" };
    }
  }
  const onPath = findOnPath(EXECUTABLE, env);
  if (onPath !== undefined) {
    return { command: onPath, args: ["serve"], source: "PATH" };
  }
  throw new ServerNotFoundError(
    "rustdoc-gen: cannot find the `rustdoc-gen` language server on PATH. Install it (`pip install rustdoc-gen`) " +
      "and set rustdocGen.server.path to its executable.",
    "rustdocGen.server.path",
  );
}
