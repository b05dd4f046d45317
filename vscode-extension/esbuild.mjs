// Bundles the extension (one CommonJS file; `vscode` is provided by the editor)
// and, with --tests, the Node tests in test/ (one file each, run by `node --test`).
//   node esbuild.mjs [--tests] [--watch]
import { build, context } from "esbuild";
import { readdirSync } from "node:fs";

const tests = process.argv.includes("--tests");
const watch = process.argv.includes("--watch");

const options = tests
  ? {
      entryPoints: readdirSync("test")
        .filter((name) => name.endsWith(".test.ts"))
        .map((name) => `test/${name}`),
      outdir: "dist/test",
    }
  : { entryPoints: ["src/extension.ts"], outfile: "dist/extension.js", minify: !watch };

const config = {
  ...options,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  external: ["vscode"],
  sourcemap: tests || watch ? "inline" : false,
  logLevel: "warning",
};

if (watch) {
  await (await context(config)).watch();
} else {
  await build(config);
}
