// Bundles the extension (one CommonJS file; `vscode` is provided by the editor)
// and, with --tests / --e2e, the Node tests in test/ and e2e/ (one file each,
// run by `node --test`).
//   node esbuild.mjs [--tests | --e2e] [--watch]
import { build, context } from "esbuild";
import { readdirSync } from "node:fs";

const tests = process.argv.includes("--tests");
const e2e = process.argv.includes("--e2e");
const watch = process.argv.includes("--watch");

function entries(dir, suffix) {
  return readdirSync(dir)
    .filter((name) => name.endsWith(suffix))
    .map((name) => `${dir}/${name}`);
}

const options = e2e
  ? { entryPoints: entries("e2e", ".test.ts"), outdir: "dist/e2e", external: ["vscode", "playwright-core"] }
  : tests
  ? {
      entryPoints: entries("test", ".test.ts"),
      outdir: "dist/test",
    }
  : { entryPoints: ["src/extension.ts"], outfile: "dist/extension.js", minify: !watch };

const config = {
  external: ["vscode"],
  ...options,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: tests || e2e || watch ? "inline" : false,
  logLevel: "warning",
};

if (watch) {
  await (await context(config)).watch();
} else {
  await build(config);
}
