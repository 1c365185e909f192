#!/usr/bin/env node
// Tessera runs its TypeScript directly with Node's type stripping, which needs Node 24.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  console.error(
    `tessera needs Node.js 24 or later (this is ${process.version}). Run it through npm (npm start, npx tessera),\n` +
      "which uses the Node 24 that the repository installs, or install Node 24.",
  );
  process.exit(1);
}
await import("../src/cli/main.ts");
