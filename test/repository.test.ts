import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";

/** Repository-wide promises: the README's commands, CI, and the static checks. */
const root = new URL("../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

const readmeCommands = () => [...read("README.md").matchAll(/^```sh\n(.+)\n```$/gm)].map((m) => m[1]);

test("the README opens with what Tessera is, then exactly two commands: start, and test", () => {
  const readme = read("README.md");
  assert.match(readme, /^# Tessera\n\nTessera is a self-hostable identity platform/);
  const [start, tests] = readmeCommands();
  assert.equal(start, "npm ci && npm start");
  assert.equal(tests, "npm ci && npm test");
});

test(".ci/run runs the README's test command verbatim", () => {
  const ci = read(".ci/run");
  const [, tests] = readmeCommands();
  assert.ok(
    tests !== undefined && ci.split("\n").includes(tests),
    ".ci/run must contain the README test command",
  );
});

test("the test run executes on the Node 24 that the repository pins", () => {
  assert.equal(process.versions.node.split(".")[0], "24");
  const pinned = JSON.parse(read("package.json")).devDependencies.node as string;
  assert.match(pinned, /^\^24\./);
});

test("npm run check (tsc --noEmit and Biome) is clean", () => {
  // execFileSync throws with the tool's output when the check fails, which fails this test.
  execFileSync("npm", ["run", "--silent", "check"], { cwd: root, stdio: "pipe", encoding: "utf8" });
});
