import { writeFileSync } from "node:fs";
import { renderConfiguration } from "../src/config/render-configuration.ts";

const target = new URL("../../../docs/configuration.md", import.meta.url);
writeFileSync(target, renderConfiguration());
console.log(`wrote ${target.pathname}`);
