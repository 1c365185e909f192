import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { IdentityClient, IdentityStatusCode, type InitOptions } from "../src/index.ts";
import { observe } from "./helpers/observe.ts";
import { type FakeIssuer, startFakeIssuer } from "./helpers/setup-fake-issuer.ts";

/**
 * init checks every option before it talks to anyone: a wrong one is Failed and the message names
 * it. The issuer here is a real local issuer, so that the good variants really initialise.
 */

let fake: FakeIssuer;
let storeDir: string;
before(async () => {
  fake = await startFakeIssuer("notes-app");
  storeDir = await mkdtemp(join(tmpdir(), "setup-options-"));
});
after(async () => {
  await fake.close();
  await rm(storeDir, { recursive: true, force: true });
});

const good = (): InitOptions => ({
  issuer: fake.issuer,
  clientId: "notes-app",
  mode: "interactive",
  storeDir,
});

async function refused(options: unknown, field: string | RegExp) {
  const client = new IdentityClient();
  const result = observe(await client.init(options as InitOptions), "init refuses a malformed option");
  assert.equal(result.status, IdentityStatusCode.Failed, `${JSON.stringify(options)}: ${result.message}`);
  assert.match(result.message ?? "", typeof field === "string" ? new RegExp(`\\b${field}\\b`) : field);
  assert.equal(client.initialized, false);
}

test("the good options initialise (the baseline the refusals differ from)", async () => {
  const client = new IdentityClient();
  const result = observe(await client.init(good()), "init succeeds");
  assert.equal(result.status, IdentityStatusCode.Success, result.message);
  client.close();
});

test("every malformed option is Failed naming the option", async () => {
  await refused(null, "options");
  await refused({ ...good(), issuer: 42 }, "issuer");
  await refused({ ...good(), issuer: "https://id.example.com/oidc/t?x=1" }, "issuer");
  await refused({ ...good(), issuer: "http://10.0.0.1/oidc/t" }, "issuer");
  await refused({ ...good(), issuer: `https://${"a".repeat(5000)}.example` }, "issuer");
  await refused({ ...good(), clientId: "" }, "clientId");
  await refused({ ...good(), clientId: "x".repeat(129) }, "clientId");
  await refused({ ...good(), clientId: ["notes-app"] }, "clientId");
  await refused({ ...good(), mode: "daemon" }, "mode");
  await refused({ ...good(), locale: "not a tag!" }, "locale");
  await refused({ ...good(), locale: 7 }, "locale");
  await refused({ ...good(), locale: "x".repeat(100_000) }, "locale");
  await refused({ ...good(), scopes: "openid" }, "scopes");
  await refused({ ...good(), scopes: null }, "scopes");
  await refused({ ...good(), scopes: [] }, "scopes");
  await refused({ ...good(), scopes: ["openid", "a b"] }, "scopes");
  await refused({ ...good(), scopes: ["openid", 'say"'] }, "scopes");
  await refused({ ...good(), scopes: ["openid", "openid"] }, "scopes");
  await refused({ ...good(), scopes: Array.from({ length: 21 }, (_, i) => `s${i}`) }, "scopes");
  await refused({ ...good(), storeDir: "relative/dir" }, "storeDir");
  await refused({ ...good(), storeDir: "" }, "storeDir");
  await refused({ ...good(), fetch: "fetch" }, "fetch");
  await refused({ ...good(), onDeviceCode: {} }, "onDeviceCode");
  await refused({ ...good(), helperExecPath: "node" }, "helperExecPath");
  await refused({ ...good(), browser: "" }, "browser");
});

test("batch options: credentials only in batch mode, and batch mode needs credentials or authentication none", async () => {
  await refused({ ...good(), personalAccessToken: "tpat_x" }, "personalAccessToken");
  await refused({ ...good(), clientSecret: "s" }, "clientSecret");
  await refused({ ...good(), authentication: "none" }, "authentication");
  const batch = { issuer: fake.issuer, clientId: "notes-app", mode: "batch" } as const;
  const saved = { ...process.env };
  try {
    delete process.env.TESSERA_PERSONAL_ACCESS_TOKEN;
    delete process.env.TESSERA_CLIENT_SECRET;
    await refused(batch, /personalAccessToken or clientSecret/);
    await refused({ ...batch, authentication: "sometimes" }, "authentication");
    await refused({ ...batch, authentication: "none", personalAccessToken: "tpat_x" }, "authentication");
    await refused({ ...batch, personalAccessToken: "" }, "personalAccessToken");
    await refused({ ...batch, clientSecret: 5 }, "clientSecret");
    process.env.TESSERA_CLIENT_SECRET = "s".repeat(5000);
    await refused(batch, "TESSERA_CLIENT_SECRET");
  } finally {
    process.env = saved;
  }
});

test("timeoutMs: any value but an integer from 100 to 120000 is Failed naming timeoutMs (property)", async () => {
  const extremes = [
    -1,
    0,
    99,
    120_001,
    2 ** 31,
    2 ** 53,
    1.5,
    100.5,
    Number.NaN,
    Infinity,
    -Infinity,
    "1000",
    null,
  ];
  for (const timeoutMs of extremes) await refused({ ...good(), timeoutMs }, "timeoutMs");
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.integer({ max: 99 }),
        fc.integer({ min: 120_001 }),
        fc.double().filter((n) => !Number.isInteger(n)),
        fc.string(),
        fc.boolean(),
      ),
      async (timeoutMs) => refused({ ...good(), timeoutMs }, "timeoutMs"),
    ),
    { numRuns: 150 },
  );
});

test("the bounds themselves, a known locale tag and an unknown valid one initialise", async () => {
  for (const extra of [
    { timeoutMs: 100 },
    { timeoutMs: 120_000 },
    { locale: "de-CH" },
    { locale: "fr" },
    { scopes: Array.from({ length: 20 }, (_, i) => `s${i}`) },
  ]) {
    const client = new IdentityClient();
    const result = await client.init({ ...good(), ...extra });
    assert.equal(result.status, IdentityStatusCode.Success, `${JSON.stringify(extra)}: ${result.message}`);
    client.close();
  }
});

test("any value in any option: init answers Failed or initialises, never throws (property)", async () => {
  const names = ["issuer", "clientId", "mode", "locale", "scopes", "storeDir", "timeoutMs", "authentication"];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...names), fc.anything(), async (name, value) => {
      const client = new IdentityClient();
      const result = await client.init({ ...good(), [name]: value } as InitOptions);
      // A well-formed client id other than the fake issuer's own reaches its client check, which
      // knows only "notes-app" (a plain 404: not Tessera's not-registered answer).
      const unknownId =
        name === "clientId" &&
        result.status === IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized &&
        /client check failed/.test(result.message ?? "");
      assert.ok(
        unknownId ||
          result.status === IdentityStatusCode.Failed ||
          result.status === IdentityStatusCode.Success,
        `${name}=${fc.stringify(value)}: ${result.status} ${result.message}`,
      );
      if (result.status === IdentityStatusCode.Failed) assert.match(result.message ?? "", new RegExp(name));
      client.close();
    }),
    { numRuns: 150 },
  );
});
