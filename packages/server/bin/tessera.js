#!/usr/bin/env node
import module from "node:module";

// Tessera runs its TypeScript directly with Node's type stripping, which needs Node 24.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  console.error(
    `tessera needs Node.js 24 or later (this is ${process.version}). Run it through npm (npm start, npx tessera),\n` +
      "which uses the Node 24 that the repository installs, or install Node 24.",
  );
  process.exit(1);
}
// Node's compile cache keeps the type-stripped source and V8's code cache of every module, keyed by
// a hash of the file. After the first run the type stripper (a WebAssembly module) is never loaded
// and nothing is compiled twice: a server starts faster and idles about 20 MB smaller. This file is
// plain JavaScript so that it is itself loaded without the stripper. NODE_COMPILE_CACHE chooses the
// directory (default: the system temporary directory); NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();
await import("../src/cli/main.ts");
