// code-server (the real VS Code workbench and extension host, served to a
// browser) for the end-to-end test: installed once into .cache/code-server
// from the pinned lockfile in e2e/code-server/, then started per test run.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { findOnPath } from "../src/serverCommand";
import { REPO_ROOT } from "../test/support";

const PINNED = path.join(REPO_ROOT, "vscode-extension", "e2e", "code-server");
export const CODE_SERVER_HOME = path.join(REPO_ROOT, ".cache", "code-server");

// @vscode/ripgrep's install script downloads ripgrep from GitHub, which this
// machine cannot reach; it uses a download it finds in its cache first, so the
// cache is filled with Debian's `rg`. Both versions are fixed by code-server
// 4.100.3's npm-shrinkwrap.json (lib/vscode).
const RIPGREP_PACKAGE = "1.15.11";
const RIPGREP_RELEASE = "v13.0.0-10";

function ripgrepTarget(): string {
  switch (os.arch()) {
    case "x64":
      return "x86_64-unknown-linux-musl";
    case "arm64":
      return "aarch64-unknown-linux-musl";
    default:
      throw new Error(`the e2e test supports x64 and arm64 Linux, not ${os.arch()}`);
  }
}

function seedRipgrepCache(tmpDir: string): void {
  const rg = findOnPath("rg");
  if (rg === undefined) {
    throw new Error("ripgrep (`rg`) is not installed: run scripts/install-editor-deps");
  }
  const stage = path.join(tmpDir, "ripgrep-stage");
  const cache = path.join(tmpDir, `vscode-ripgrep-cache-${RIPGREP_PACKAGE}`);
  fs.mkdirSync(stage, { recursive: true });
  fs.mkdirSync(cache, { recursive: true });
  fs.copyFileSync(rg, path.join(stage, "rg"));
  fs.chmodSync(path.join(stage, "rg"), 0o755);
  const archive = path.join(cache, `ripgrep-${RIPGREP_RELEASE}-${ripgrepTarget()}.tar.gz`);
  execFileSync("tar", ["czf", archive, "-C", stage, "rg"]);
}

function fingerprint(): string {
  const hash = createHash("sha256");
  for (const name of ["package.json", "package-lock.json"]) {
    hash.update(fs.readFileSync(path.join(PINNED, name)));
  }
  return hash.digest("hex");
}

/** The code-server entry point, installing it first if the pinned version is not there yet. */
export function ensureCodeServer(log: (line: string) => void): string {
  const entry = path.join(CODE_SERVER_HOME, "node_modules", "code-server", "out", "node", "entry.js");
  const stamp = path.join(CODE_SERVER_HOME, "installed.sha256");
  const wanted = fingerprint();
  if (fs.existsSync(entry) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === wanted) {
    return entry;
  }
  log(`installing code-server into ${CODE_SERVER_HOME} (once; builds its native modules, a few minutes)`);
  fs.rmSync(CODE_SERVER_HOME, { recursive: true, force: true });
  const tmpDir = path.join(CODE_SERVER_HOME, "tmp");
  fs.mkdirSync(tmpDir, { recursive: true });
  for (const name of ["package.json", "package-lock.json"]) {
    fs.copyFileSync(path.join(PINNED, name), path.join(CODE_SERVER_HOME, name));
  }
  seedRipgrepCache(tmpDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: tmpDir,
    // code-server's install script checks these when run as root.
    npm_config_unsafe_perm: "true",
    npm_config_yes: "true",
  };
  // node-gyp builds code-server's native modules against the running Node's
  // headers; without a nodedir it would download them from nodejs.org.
  const prefix = path.resolve(path.dirname(process.execPath), "..");
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, "include", "node", "node.h"))) {
    env.npm_config_nodedir = prefix;
  }
  // Under `npm run --workspace ...` these would point the install at our workspace.
  for (const key of Object.keys(env)) {
    if (/^npm_config_(workspace|workspaces|include_workspace_root)$/i.test(key)) {
      delete env[key];
    }
  }
  execFileSync("npm", ["ci", "--unsafe-perm", "--no-audit", "--no-fund"], {
    cwd: CODE_SERVER_HOME,
    stdio: ["ignore", "inherit", "inherit"],
    env,
  });
  const rg = path.join(CODE_SERVER_HOME, "node_modules", "code-server", "lib", "vscode", "node_modules", "@vscode", "ripgrep", "bin", "rg");
  if (!fs.existsSync(entry) || !fs.existsSync(rg)) {
    throw new Error(`code-server did not install completely (${entry}, ${rg})`);
  }
  fs.rmSync(tmpDir, { recursive: true, force: true });
  fs.writeFileSync(stamp, wanted);
  return entry;
}

export interface CodeServerProfile {
  /** Holds user-data, extensions and XDG dirs: nothing outside it is touched. */
  home: string;
  userDataDir: string;
  extensionsDir: string;
  env: NodeJS.ProcessEnv;
}

export function makeProfile(home: string, settings: Record<string, unknown>): CodeServerProfile {
  const userDataDir = path.join(home, "user-data");
  const extensionsDir = path.join(home, "extensions");
  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(path.join(userDataDir, "User", "settings.json"), JSON.stringify(settings, null, 2));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, "config"),
    XDG_DATA_HOME: path.join(home, "data"),
    XDG_CACHE_HOME: path.join(home, "cache"),
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  return { home, userDataDir, extensionsDir, env };
}

function profileArgs(profile: CodeServerProfile): string[] {
  return ["--user-data-dir", profile.userDataDir, "--extensions-dir", profile.extensionsDir];
}

export function installExtension(entry: string, profile: CodeServerProfile, vsix: string): string {
  return execFileSync(process.execPath, [entry, ...profileArgs(profile), "--install-extension", vsix], {
    env: profile.env,
    encoding: "utf8",
    timeout: 120_000,
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address() as net.AddressInfo;
      probe.close(() => resolve(address.port));
    });
  });
}

export interface RunningCodeServer {
  url: string;
  process: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

/** Starts code-server on a free local port and waits until it says it listens. */
export async function startCodeServer(
  entry: string,
  profile: CodeServerProfile,
  folder: string,
  timeoutMs: number,
): Promise<RunningCodeServer> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      entry,
      ...profileArgs(profile),
      "--auth",
      "none",
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      "--ignore-last-opened",
      folder,
    ],
    // Its own process group: stopping it also stops the extension host and the language server.
    { env: profile.env, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  const output: string[] = [];
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start in ${timeoutMs} ms:\n${output.join("")}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join("").includes("HTTP server listening on")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited with ${code}:\n${output.join("")}`));
    });
  });
  await listening;
  return {
    url: `http://127.0.0.1:${port}/`,
    process: child,
    output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const group = -child.pid!;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(group, "SIGTERM");
      const killer = setTimeout(() => {
        try {
          process.kill(group, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
