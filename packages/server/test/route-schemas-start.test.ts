import assert from "node:assert/strict";
import { test } from "node:test";
import { backends } from "./helpers/test-database.ts";
import { startTestServer } from "./helpers/test-server.ts";

/**
 * Compiling the route schemas at start prints nothing: Ajv warns on stderr about a format it does
 * not know and then ignores it, which an operator reads as a fault at every start (and the field
 * is then not checked as the schema claims).
 */
for (const backend of backends) {
  test(`starting the server prints no schema warnings (${backend})`, async () => {
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(" "));
    };
    try {
      const s = await startTestServer(backend);
      await s.close();
    } finally {
      console.warn = original;
    }
    assert.deepEqual(
      warnings.filter((w) => /unknown format/.test(w)),
      [],
    );
  });
}
