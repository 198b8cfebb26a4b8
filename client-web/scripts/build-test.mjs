// Bundles the DOM-free modules into .test-build/unit.mjs for the node unit
// tests (node cannot import .ts directly). Together with them it re-exports
// the protobuf runtime and generated schemas, so tests can encode real
// wire messages with the exact code the client uses.
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));

await esbuild.build({
  absWorkingDir: root,
  stdin: {
    contents: [
      'export * from "./src/world.ts";',
      'export * from "./src/interp.ts";',
      'export * from "./src/clock.ts";',
      'export * from "./src/movement.ts";',
      'export * from "./src/predict.ts";',
      'export * from "./src/roster.ts";',
      'export * from "./src/netstats.ts";',
      'export * from "./src/view.ts";',
      'export { moveVector, aimAngle } from "./src/input.ts";',
      'export { socketUrl, encodeClientMessage, decodeServerMessage } from "./src/net.ts";',
      'export * from "./src/reconnect.ts";',
      'export { Session } from "./src/session.ts";',
      'export { DEAD_AFTER_MS } from "./src/net.ts";',
      'export { shareLink, spectateLink } from "./src/hud.ts";',
      'export * as pb from "./src/gen/skirmish/v1/skirmish_pb.ts";',
      'export { create, toBinary, fromBinary } from "@bufbuild/protobuf";',
    ].join("\n"),
    resolveDir: root,
    loader: "ts",
    sourcefile: "unit-entry.ts",
  },
  outfile: ".test-build/unit.mjs",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  logLevel: "warning",
});
