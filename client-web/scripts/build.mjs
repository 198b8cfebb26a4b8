// Builds dist/: the bundled, minified app.js plus the static files.
//
// dist/ is committed (the Go binary embeds it) and CI rebuilds it and fails
// if the result differs, so the output must be byte-for-byte reproducible:
// no source map file, no timestamps, a fixed target, and dist/ wiped first
// so that no stale file survives.
import { cp, mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(dist);

await esbuild.build({
  absWorkingDir: root,
  entryPoints: ["src/main.ts"],
  outfile: "dist/app.js",
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  platform: "browser",
  sourcemap: false,
  charset: "utf8",
  logLevel: "warning",
});

for (const name of await readdir(join(root, "static"))) {
  await cp(join(root, "static", name), join(dist, name));
}
