import { once } from "node:events";
import { createInterface } from "node:readline";
import { openDatabase } from "../../src/storage/database.ts";

/**
 * A child process that opens (and so migrates) a database when told to: it prints "ready" once
 * loaded and starts at the first line on stdin, so several children can be released at once.
 * Usage: migrate-process.ts <dataDir> [databaseUrl]
 */
const [dataDir, databaseUrl] = process.argv.slice(2);
if (dataDir === undefined) throw new Error("usage: migrate-process.ts <dataDir> [databaseUrl]");
const lines = createInterface({ input: process.stdin });
process.stdout.write("ready\n");
await once(lines, "line");
lines.close();
const database = await openDatabase({ dataDir, databaseUrl });
await database.close();
process.stdout.write("migrated\n");
