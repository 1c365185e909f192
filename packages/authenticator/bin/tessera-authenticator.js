#!/usr/bin/env node
// The packed package runs the compiled JavaScript; the workspace runs the TypeScript sources.
import { existsSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
await import(existsSync(compiled) ? compiled.href : "../src/cli/main.ts");
