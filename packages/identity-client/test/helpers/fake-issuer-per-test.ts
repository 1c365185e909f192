import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, beforeEach } from "node:test";
import type { InitOptions } from "../../src/index.ts";
import { type FakeIssuer, startFakeIssuer } from "./setup-fake-issuer.ts";

/** The fake issuer and store directory of the running test, and interactive init options for both. */
export interface FakeIssuerTest {
  readonly fake: FakeIssuer;
  readonly storeDir: string;
  options(extra?: Partial<InitOptions>): InitOptions;
}

/**
 * The preamble of the init tests against a misbehaving issuer: every test gets a fresh fake issuer
 * (so one test's replaced handlers never leak into the next) and its own store directory (so no
 * cached discovery does); issuers are closed after each test, directories removed after the file.
 */
export function fakeIssuerPerTest(clientId: string, dirPrefix: string): FakeIssuerTest {
  let fake: FakeIssuer | undefined;
  let storeDir = "";
  const dirs: string[] = [];
  beforeEach(async () => {
    fake = await startFakeIssuer(clientId);
    storeDir = await mkdtemp(join(tmpdir(), dirPrefix));
    dirs.push(storeDir);
  });
  afterEach(() => fake?.close());
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  const current = (): FakeIssuer => {
    if (fake === undefined) throw new Error("fakeIssuerPerTest: used outside a test");
    return fake;
  };
  return {
    get fake() {
      return current();
    },
    get storeDir() {
      return storeDir;
    },
    options: (extra = {}) => ({
      issuer: current().issuer,
      clientId,
      mode: "interactive",
      storeDir,
      ...extra,
    }),
  };
}
