// The settings object the server reads: section `rustdocGen` of
// `workspace/configuration`, and the same object as `initializationOptions`
// (see CONTRACTS.md, "Language server wire contract"). Pure, like
// serverCommand.ts, so it is tested in Node.
//
// The model's decode options (maxTokens, contextSize, ...) are not spelled here:
// they are whatever this extension's package.json contributes under
// `rustdocGen.model.*`, with its defaults, and the server checks their bounds
// (one definition: rustdoc_core/generation/decode.py, which a Python test holds
// package.json to).
import manifest from "../package.json";
import { expandPath } from "./serverCommand";

type DecodeValue = number | null;

export interface ServerSettings {
  model: { path: string | null; adapter: string | null } & Record<string, DecodeValue | string | null>;
  diagnostics: { enable: boolean };
  generate: { includePrivate: boolean; verifyExamples: boolean };
  rag: { enable: boolean };
}

/** Reads one key below `rustdocGen.` (VS Code's `WorkspaceConfiguration.get`). */
export type SettingReader = (key: string) => unknown;

const MODEL_PREFIX = "rustdocGen.model.";
const PATH_SETTINGS = new Set(["path", "adapter"]);

/** The decode options package.json contributes, with their defaults. */
export const DECODE_DEFAULTS: Record<string, DecodeValue> = Object.fromEntries(
  Object.entries(manifest.contributes.configuration.properties as Record<string, { default?: unknown }>)
    .filter(([key]) => key.startsWith(MODEL_PREFIX) && !PATH_SETTINGS.has(key.slice(MODEL_PREFIX.length)))
    .map(([key, schema]) => [key.slice(MODEL_PREFIX.length), typeof schema.default === "number" ? schema.default : null]),
);

function pathSetting(read: SettingReader, key: string, workspaceFolder: string | undefined): string | null {
  const raw = read(key);
  return typeof raw === "string" && raw.trim() !== "" ? expandPath(raw, workspaceFolder) : null;
}

/** Every field defaulted, empty strings as null, paths expanded like VS Code's own path settings. */
export function serverSettings(read: SettingReader, workspaceFolder: string | undefined): ServerSettings {
  const decode: Record<string, DecodeValue> = {};
  for (const [name, fallback] of Object.entries(DECODE_DEFAULTS)) {
    const value = read(`model.${name}`);
    decode[name] = typeof value === "number" ? value : fallback;
  }
  return {
    model: {
      path: pathSetting(read, "model.path", workspaceFolder),
      adapter: pathSetting(read, "model.adapter", workspaceFolder),
      ...decode,
    },
    diagnostics: { enable: read("diagnostics.enable") === true },
    generate: { includePrivate: read("generate.includePrivate") === true, verifyExamples: read("generate.verifyExamples") === true },
    rag: { enable: read("rag.enable") === true },
  };
}
