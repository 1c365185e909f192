import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { checkSite } from "../src/link/sites/site-validation.ts";

/**
 * The JSON examples of docs/link.md's "Sites" section pass the API's own validation, so they
 * cannot drift from it (a once window whose `from` was after its `until` did).
 */
const doc = readFileSync(new URL("../../../docs/link.md", import.meta.url), "utf8");
const sites = doc.slice(doc.indexOf("\n## Sites\n"), doc.indexOf("\n## OFX institutions\n"));
const blocks = [...sites.matchAll(/```(json|http)\n([\s\S]*?)```/g)].map(([, kind, body]) => ({
  kind,
  body: kind === "http" ? (body ?? "").slice((body ?? "").indexOf("\n") + 1) : (body ?? ""),
}));

test("docs/link.md: the site example is a valid new site", () => {
  const site = blocks.find((b) => b.kind === "http");
  assert.ok(site, "the POST /v1/link/sites example");
  const checked = checkSite("new", JSON.parse(site.body));
  assert.ok(checked.ok, JSON.stringify(checked.ok ? "" : checked.problems));
});

test("docs/link.md: the maintenance windows example is a valid change", () => {
  const windows = blocks.find((b) => b.kind === "json" && b.body.includes('"kind": "once"'));
  assert.ok(windows, "the maintenance example");
  const checked = checkSite("changes", { maintenance: JSON.parse(windows.body) });
  assert.ok(checked.ok, JSON.stringify(checked.ok ? "" : checked.problems));
});
