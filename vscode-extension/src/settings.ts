// The settings object the server reads: section `rustdocGen` of
// `workspace/configuration`, and the same object as `initializationOptions`
// (see CONTRACTS.md, "Language server wire contract"). Pure, like
// serverCommand.ts, so it is tested in Node.
import { expandPath } from "./serverCommand";

export interface ServerSettings {
  model: {
    path: string | null;
    maxTokens: number;
    temperature: number;
    threads: number | null;
    contextSize: number;
  };
  diagnostics: { enable: boolean };
  generate: { includePrivate: boolean };
}

/** Reads one key below `rustdocGen.` (VS Code's `WorkspaceConfiguration.get`). */
export type SettingReader = (key: string) => unknown;

function integer(value: unknown, fallback: number, min: number): number {
  return typeof value === "number" && Number.isInteger(value) && value >= min ? value : fallback;
}

/** Every field defaulted, empty strings as null, paths expanded like VS Code's own path settings. */
export function serverSettings(read: SettingReader, workspaceFolder: string | undefined): ServerSettings {
  const rawPath = read("model.path");
  const modelPath = typeof rawPath === "string" && rawPath.trim() !== "" ? expandPath(rawPath, workspaceFolder) : null;
  const temperature = read("model.temperature");
  const threads = read("model.threads");
  return {
    model: {
      path: modelPath,
      maxTokens: integer(read("model.maxTokens"), 384, 1),
      temperature: typeof temperature === "number" && temperature >= 0 ? temperature : 0,
      threads: typeof threads === "number" && Number.isInteger(threads) && threads >= 1 ? threads : null,
      contextSize: integer(read("model.contextSize"), 4096, 256),
    },
    diagnostics: { enable: read("diagnostics.enable") === true },
    generate: { includePrivate: read("generate.includePrivate") === true },
  };
}
