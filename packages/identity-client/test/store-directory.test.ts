import assert from "node:assert/strict";
import { chmod, chown, mkdir, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { insertPublicTestApp } from "../../server/test/helpers/sso-test-app.ts";
import { startTestServer, type TestServer } from "../../server/test/helpers/test-server.ts";
import { IdentityClient } from "../src/index.ts";
import { defaultStoreDirectory } from "../src/store/profile-directory.ts";
import {
  CLIENT_ID,
  ISSUER,
  isRoot,
  NOBODY,
  observe,
  openStore,
  runStoreChild,
  storeRootForFile,
} from "./helpers/store-fixtures.ts";

/** The store's directory: created 0700, and any other directory refused (fail closed). */
const { root } = storeRootForFile();

const refused = async (dir: string, scenario: string, problem: RegExp) => {
  const opened = observe(await openStore(dir), scenario);
  assert.equal(opened.ok, false);
  if (opened.ok) return;
  assert.equal(opened.status, IdentityStatusCode.UserProfileError);
  assert.ok(opened.message.includes(dir), opened.message);
  assert.match(opened.message, problem);
};

test("a missing directory is created 0700, with its missing parents", async () => {
  const dir = join(root, "fresh", "nested", "identity");
  const opened = await openStore(dir);
  assert.equal(opened.ok, true);
  assert.equal((await stat(dir)).mode & 0o777, 0o700);
  assert.equal((await stat(join(root, "fresh"))).mode & 0o777, 0o700);
});

test("a directory readable or writable by group or others is UserProfileError naming the mode", async () => {
  for (const mode of [0o755, 0o750, 0o701, 0o720, 0o702]) {
    const dir = join(root, `open-${mode.toString(8)}`);
    await mkdir(dir);
    await chmod(dir, mode);
    await refused(dir, "store directory open to others", new RegExp(`mode 0${mode.toString(8)}`));
    // Nothing was written into it.
    assert.equal((await stat(dir)).mode & 0o777, mode);
  }
});

test("a directory owned by another user is UserProfileError naming the owner", async () => {
  // As root a directory is given away; otherwise "/" is one this user does not own.
  const dir = isRoot ? join(root, "foreign") : "/";
  if (isRoot) {
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, NOBODY, NOBODY);
  }
  await refused(dir, "store directory of another user", /owned by uid \d+, not by this user/);
});

test("a symlink to a good directory, and a file, are UserProfileError", async () => {
  const target = join(root, "target");
  await mkdir(target, { mode: 0o700 });
  const link = join(root, "link");
  await symlink(target, link);
  await refused(link, "store directory is a symlink", /is a symbolic link/);
  const file = join(root, "a-file");
  await writeFile(file, "x", { mode: 0o600 });
  await refused(file, "store directory is a file", /is not a directory/);
  await refused(join(file, "below"), "store directory below a file", /cannot be examined \(ENOTDIR\)/);
});

test("no home directory is UserProfileError", async () => {
  // An empty HOME is what os.homedir() then answers; no XDG_STATE_HOME, no storeDir.
  const { XDG_STATE_HOME: _ignored, ...env } = process.env;
  const answer = await runStoreChild(
    { action: "open", issuer: ISSUER, clientId: CLIENT_ID },
    { env: { ...env, HOME: "" } },
  );
  recordObservedCode("identity", answer.status ?? 0, "store with no home directory");
  assert.equal(answer.status, IdentityStatusCode.UserProfileError);
  assert.match(answer.message ?? "", /no home directory/);
});

test("the default directory is under XDG_STATE_HOME (the tests' throwaway one), or ~/.local/state", () => {
  assert.equal(defaultStoreDirectory({ XDG_STATE_HOME: "/x/state" }), "/x/state/tessera/identity");
  // A relative XDG_STATE_HOME is ignored, as the XDG spec says.
  assert.match(
    defaultStoreDirectory({ XDG_STATE_HOME: "rel" }) ?? "",
    /\/\.local\/state\/tessera\/identity$/,
  );
});

test("init through the public API refuses an open directory with UserProfileError", async () => {
  let s: TestServer | undefined;
  try {
    s = await startTestServer("sqlite");
    const { tenant } = await s.tenant();
    const clientId = await insertPublicTestApp(s, tenant.id);
    const dir = join(root, "api-open");
    await mkdir(dir);
    await chmod(dir, 0o755);
    const client = new IdentityClient();
    const result = await client.init({
      issuer: `${s.url}/oidc/${tenant.id}`,
      clientId,
      mode: "interactive",
      storeDir: dir,
    });
    recordObservedCode("identity", result.status, "init with a store directory open to others");
    assert.equal(result.status, IdentityStatusCode.UserProfileError, result.message);
    assert.ok(result.message?.includes(dir));
    assert.equal(client.initialized, false);
    await chmod(dir, 0o700);
    const good = await client.init({
      issuer: `${s.url}/oidc/${tenant.id}`,
      clientId,
      mode: "interactive",
      storeDir: dir,
    });
    assert.equal(good.status, IdentityStatusCode.Success, good.message);
    client.close();
  } finally {
    await s?.close();
  }
});
