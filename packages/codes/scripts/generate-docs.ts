import { writeFileSync } from "node:fs";
import { renderStatusCodes } from "../src/docs/render-status-codes.ts";

const target = new URL("../../../docs/status-codes.md", import.meta.url);
writeFileSync(target, renderStatusCodes());
console.log(`wrote ${target.pathname}`);
