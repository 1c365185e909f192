import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { recordObservedCode } from "@tessera/codes/coverage";
import { ManualClock } from "../../server/src/clock/clock.ts";
import { insertPublicTestApp } from "../../server/test/helpers/sso-test-app.ts";
import { startTestServer } from "../../server/test/helpers/test-server.ts";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../../..");
const fixtures = join(import.meta.dirname, "fixtures", "lock-consumer");
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
const published = ["codes", "identity-client", "authenticator"];

/**
 * A copy of the workspace's skeleton (root manifest and tsconfig, the pack script, node_modules
 * linked) holding the published packages' sources. `npm pack` runs there exactly as in the
 * workspace, but its prepack (which swaps package.json and builds dist/ for a moment) cannot
 * disturb the tests that import @tessera/codes from the live workspace at the same time.
 */
function stagingWorkspace(work: string): string[] {
  const staging = join(work, "workspace");
  mkdirSync(join(staging, "scripts"), { recursive: true });
  for (const file of ["package.json", "tsconfig.json", "scripts/pack-package.ts"])
    copyFileSync(join(root, file), join(staging, file));
  symlinkSync(join(root, "node_modules"), join(staging, "node_modules"));
  return published.map((name) => {
    const dir = join(staging, "packages", name);
    cpSync(join(root, "packages", name, "src"), join(dir, "src"), { recursive: true });
    for (const file of ["package.json", "tsconfig.build.json"])
      copyFileSync(join(root, "packages", name, file), join(dir, file));
    const bin = join(root, "packages", name, "bin");
    if (existsSync(bin)) cpSync(bin, join(dir, "bin"), { recursive: true });
    return dir;
  });
}

/** `npm pack` as a publisher runs it; asserts it leaves the package directory as it found it. */
async function pack(packageDir: string, destination: string): Promise<string> {
  const manifest = readFileSync(join(packageDir, "package.json"), "utf8");
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", destination], {
    cwd: packageDir,
  });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  assert.ok(packed);
  assert.equal(readFileSync(join(packageDir, "package.json"), "utf8"), manifest, "package.json restored");
  assert.equal(existsSync(join(packageDir, "dist")), false, "dist/ removed");
  assert.equal(existsSync(join(packageDir, ".package.workspace.json")), false);
  const files = packed.files.map((file) => file.path);
  assert.ok(files.includes("dist/index.js") && files.includes("dist/index.d.ts"), files.join(" "));
  assert.deepEqual(
    files.filter((file) => !file.startsWith("dist/") && !file.startsWith("bin/")),
    ["package.json"],
    "only JavaScript and declarations, no TypeScript sources",
  );
  assert.ok(
    files.filter((file) => file.startsWith("bin/")).every((file) => file.endsWith(".js")),
    "commands are JavaScript launchers",
  );
  assert.deepEqual(
    files
      .filter((file) => file.startsWith("dist/") && file.endsWith(".js"))
      .map((file) => file.replace(/\.js$/, ".d.ts")),
    files.filter((file) => file.endsWith(".d.ts")),
    "a .d.ts next to every .js",
  );
  return join(destination, packed.filename);
}

test("the packed packages install into an empty project and work there on Node 22 and 24, with types", async () => {
  const work = mkdtempSync(join(tmpdir(), "tessera-packaging-"));
  const [codes, client, authenticator] = await Promise.all(
    stagingWorkspace(work).map((dir) => pack(dir, work)),
  );
  assert.ok(codes && client && authenticator);
  const project = join(work, "consumer");
  mkdirSync(project);
  writeFileSync(
    join(project, "package.json"),
    // node@22's preinstall fetches its binary (from the npm registry): allowed, like the root's node@24.
    JSON.stringify({ name: "consumer", private: true, type: "module", allowScripts: { node: true } }),
  );
  for (const file of ["init.mjs", "tsconfig.json"]) copyFileSync(join(fixtures, file), join(project, file));
  copyFileSync(join(fixtures, "consumer.ts.txt"), join(project, "consumer.ts"));
  copyFileSync(join(fixtures, "wrong.ts.txt"), join(project, "wrong.ts"));
  // One install for everything: the tarballs, Node 22 to run on, Node 22's types to check against.
  await run(
    "npm",
    ["install", "--no-audit", "--no-fund", codes, client, authenticator, "node@22", "@types/node@22"],
    { cwd: project },
  );
  const installed = JSON.parse(
    readFileSync(join(project, "node_modules/@tessera/identity-client/package.json"), "utf8"),
  ) as { exports: Record<string, { default: string }> };
  assert.equal(installed.exports["."]?.default, "./dist/index.js");
  assert.equal(existsSync(join(project, "node_modules/@tessera/identity-client/node_modules")), false);

  // The push app signs with the real time, which the server accepts within ±5 minutes of its clock.
  const s = await startTestServer("sqlite", { clock: new ManualClock(Date.now()) });
  try {
    const { tenant, apiKey } = await s.tenant();
    const clientId = await insertPublicTestApp(s, tenant.id);
    const issuer = `${s.url}/oidc/${tenant.id}`;
    const node22 = join(project, "node_modules", "node", "bin", "node");
    for (const [node, major] of [
      [process.execPath, "v24."],
      [node22, "v22."],
    ] as const) {
      const storeDir = mkdtempSync(join(work, "store-"));
      const { stdout } = await run(node, ["init.mjs", issuer, clientId, storeDir], { cwd: project });
      const answer = JSON.parse(stdout) as { node: string; status: number; success: boolean };
      recordObservedCode("identity", answer.status, `packed client init on Node ${major}x`);
      // The CLI runs from the installed package too: its launcher finds the compiled dist/.
      const cli = join(project, "node_modules", "@tessera", "identity-client", "bin", "tessera-login.js");
      const help = await run(node, [cli, "--help"], { cwd: project });
      assert.match(help.stdout, /^Usage: tessera-login <command>/);
      assert.ok(answer.node.startsWith(major), answer.node);
      assert.deepEqual(answer, {
        node: answer.node,
        status: 0,
        success: true,
        oneCodesPackage: true,
        message: null,
      });
      // The reference push app, installed the same way, enrols against the server on this Node.
      const app = join(
        project,
        "node_modules",
        "@tessera",
        "authenticator",
        "bin",
        "tessera-authenticator.js",
      );
      const username = `packed-${major.replace(/\W/g, "")}`;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username },
        scenario: "packed authenticator: setup",
      });
      const link = await s.api("POST", `/v1/users/${username}/push-enrolments`, {
        apiKey,
        scenario: "packed authenticator: enrolment link",
      });
      const stateDir = join(storeDir, "authenticator");
      await run(node, [app, "--state-dir", stateDir, "enrol", String(link.body.enrolmentUrl)], {
        cwd: project,
      });
      const listed = await run(node, [app, "--state-dir", stateDir, "list"], { cwd: project });
      assert.match(listed.stdout, new RegExp(`^PUSH[0-9A-F]+  ${username} at `));
    }
  } finally {
    await s.close();
  }

  await run(process.execPath, [tsc, "-p", project]);
  const listed = await run(process.execPath, [tsc, "-p", project, "--listFilesOnly"]);
  assert.match(listed.stdout, /node_modules\/@tessera\/identity-client\/dist\/index\.d\.ts/);
  assert.match(listed.stdout, /node_modules\/@tessera\/codes\/dist\/index\.d\.ts/);
  writeFileSync(
    join(project, "tsconfig.wrong.json"),
    JSON.stringify({ extends: "./tsconfig.json", files: ["wrong.ts"] }),
  );
  const wrong = await run(process.execPath, [tsc, "-p", join(project, "tsconfig.wrong.json")]).then(
    () => assert.fail("a type error in wrong.ts must fail the check"),
    (error: { stdout: string }) => error.stdout,
  );
  assert.match(wrong, /wrong\.ts.*error TS2322: Type 'number' is not assignable to type 'string'/);
});
