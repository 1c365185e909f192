import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { before, test } from "node:test";
import { IdentityStatusCode } from "@tessera/codes";
import { CLOCK_TOLERANCE_MS } from "../src/offline/grace-from-id-token.ts";
import { decideOffline } from "../src/offline/offline-decision.ts";
import type { Classified } from "../src/results/classify-failure.ts";
import type { SessionData } from "../src/session/session-data.ts";
import {
  issuerKeys,
  type OfflineClient,
  observe,
  offlineClient,
  refusedConnection,
} from "./helpers/offline-fixture.ts";

/**
 * The offline decision on a real sealed store, with ID tokens signed by a key whose public half is
 * the cached JWKS (as init caches the issuer's), and a real refused connection as the cause. The
 * same decision against a stopped `tessera start` is in offline-server.test.ts.
 */
const issuer = "https://id.example.test/oidc/tenant-1";
const clientId = "notes-app";
const hour = 3_600_000;
const iat = Math.floor(Date.now() / 1000);
const graceEnd = (iat + 72 * 3600) * 1000;
let keys: Awaited<ReturnType<typeof issuerKeys>>;
let cause: Classified;

before(async () => {
  keys = await issuerKeys("ES256");
  cause = await refusedConnection();
  assert.equal(cause.status, IdentityStatusCode.ConnectionError);
});

const idToken = (extra: Record<string, unknown> = {}) =>
  keys.sign({
    iss: issuer,
    aud: clientId,
    sub: "user-1",
    iat,
    exp: iat + 3600,
    tessera_offline_until: iat + 72 * 3600,
    ...extra,
  });

async function signedIn(extra: Partial<SessionData> = {}): Promise<OfflineClient> {
  const client = await offlineClient(issuer, clientId);
  await client.save({
    discovery: { metadata: { issuer }, jwks: keys.jwks, fetchedAt: iat * 1000 },
    tokens: {
      accessToken: "at",
      accessTokenExpiresAt: (iat + 3600) * 1000,
      idToken: await idToken(),
      obtainedAt: iat * 1000,
    },
    lastServerTime: iat * 1000,
    ...extra,
  });
  return client;
}

async function decide(client: OfflineClient, at: number, scenario: string) {
  client.clock.now = at;
  const read = await client.store.read();
  assert.ok(read.ok && read.value !== undefined);
  return observe(await decideOffline(client.ctx, read.value, cause), scenario);
}

const stored = async (client: OfflineClient) => {
  const read = await client.store.read();
  assert.ok(read.ok && read.value !== undefined);
  return read.value;
};

test("within the signed grace the stored sign-in works Offline, and the local time is ratcheted in the store", async () => {
  const client = await signedIn();
  const offline = await decide(client, iat * 1000 + 48 * hour, "offline: within the grace");
  assert.equal(offline.status, IdentityStatusCode.Offline);
  assert.equal(offline.value?.tokens?.accessToken, "at");
  assert.match(offline.message ?? "", /cannot be reached.*working offline until/);
  assert.equal((await stored(client)).lastLocalTime, iat * 1000 + 48 * hour);
  assert.deepEqual((await stored(client)).grace, { start: iat * 1000, end: graceEnd });
  assert.equal((await decide(client, graceEnd, "offline: at the end")).status, IdentityStatusCode.Offline);
});

test("after the signed grace ends, SignInRequired", async () => {
  const client = await signedIn();
  const ended = await decide(client, graceEnd + 1000, "offline: grace ended");
  assert.equal(ended.status, IdentityStatusCode.SignInRequired);
  assert.match(ended.message ?? "", /grace period ended/);
  assert.equal(ended.value, undefined);
});

test("a clock rolled back below the last server time, the signed iat or the last local time is SignInRequired", async () => {
  const belowServer = await signedIn({ lastServerTime: iat * 1000 + 10 * hour });
  const r1 = await decide(
    belowServer,
    iat * 1000 + 10 * hour - CLOCK_TOLERANCE_MS - 1000,
    "offline: below server time",
  );
  assert.equal(r1.status, IdentityStatusCode.SignInRequired);
  assert.match(r1.message ?? "", /rolled back/);

  // The stored lastServerTime is the user's to edit; the signed iat is not.
  const belowIat = await signedIn({ lastServerTime: 0 });
  const r2 = await decide(belowIat, iat * 1000 - CLOCK_TOLERANCE_MS - 1000, "offline: below iat");
  assert.equal(r2.status, IdentityStatusCode.SignInRequired);

  const belowLocal = await signedIn();
  assert.equal(
    (await decide(belowLocal, iat * 1000 + 30 * hour, "offline: ratchet")).status,
    IdentityStatusCode.Offline,
  );
  // Within the tolerance (an NTP step) still works.
  assert.equal(
    (await decide(belowLocal, iat * 1000 + 30 * hour - CLOCK_TOLERANCE_MS + 1000, "offline: small step"))
      .status,
    IdentityStatusCode.Offline,
  );
  const back = await decide(belowLocal, iat * 1000 + 2 * hour, "offline: below local time");
  assert.equal(back.status, IdentityStatusCode.SignInRequired);
  assert.equal((await stored(belowLocal)).lastLocalTime, iat * 1000 + 30 * hour, "never lowered");
  // Forward again, inside the signed window: the withdrawn grace stays withdrawn.
  const forward = await decide(belowLocal, iat * 1000 + 40 * hour, "offline: forward after rollback");
  assert.equal(forward.status, IdentityStatusCode.SignInRequired);
  assert.equal((await stored(belowLocal)).revokedGraceStart, iat * 1000);
});

test("a new signed grace (a refresh after a rollback) works again", async () => {
  const client = await signedIn();
  await decide(client, iat * 1000 + 30 * hour, "offline: ratchet");
  await decide(client, iat * 1000, "offline: rollback");
  const newIat = iat + 31 * 3600;
  await client.save({
    tokens: {
      accessToken: "at2",
      accessTokenExpiresAt: (newIat + 3600) * 1000,
      idToken: await idToken({ iat: newIat, exp: newIat + 3600, tessera_offline_until: newIat + 72 * 3600 }),
      obtainedAt: newIat * 1000,
    },
  });
  const fresh = await decide(client, newIat * 1000 + hour, "offline: new grace");
  assert.equal(fresh.status, IdentityStatusCode.Offline);
  assert.equal(fresh.value?.tokens?.accessToken, "at2");
});

test("a store re-sealed with edited grace numbers, or another token, gives no grace beyond the signed one", async () => {
  const edited = await signedIn({ grace: { start: iat * 1000, end: Number.MAX_SAFE_INTEGER } });
  assert.equal(
    (await decide(edited, graceEnd + hour, "offline: edited grace")).status,
    IdentityStatusCode.SignInRequired,
  );
  assert.deepEqual(
    (await stored(edited)).grace,
    { start: iat * 1000, end: graceEnd },
    "the signed grace is written back",
  );

  const forger = await issuerKeys("ES256");
  const forged = await signedIn();
  const tokens = (await stored(forged)).tokens;
  assert.ok(tokens);
  const long = {
    iss: issuer,
    aud: clientId,
    sub: "user-1",
    iat,
    exp: iat + 3600,
    tessera_offline_until: iat + 10 ** 9,
  };
  await forged.save({ tokens: { ...tokens, idToken: await forger.sign(long) } });
  assert.equal(
    (await decide(forged, graceEnd + hour, "offline: forged token")).status,
    IdentityStatusCode.SignInRequired,
  );
  const noGrace = await signedIn();
  await noGrace.save({ tokens: { ...tokens, idToken: await idToken({ tessera_offline_until: undefined }) } });
  assert.equal(
    (await decide(noGrace, iat * 1000 + hour, "offline: no grace claim")).status,
    IdentityStatusCode.SignInRequired,
  );

  const noJwks = await signedIn({ discovery: { metadata: { issuer }, fetchedAt: 0 } });
  assert.equal(
    (await decide(noJwks, iat * 1000 + hour, "offline: no cached JWKS")).status,
    IdentityStatusCode.SignInRequired,
  );
});

test("20 concurrent offline decisions ratchet the local time to the latest, none lowers it", async () => {
  const client = await signedIn();
  const read = await client.store.read();
  assert.ok(read.ok && read.value !== undefined);
  const data = read.value;
  const times = Array.from({ length: 20 }, (_, i) => iat * 1000 + (i + 1) * hour);
  const results = await Promise.all(
    times.map((time) =>
      decideOffline({ ...client.ctx, now: () => time }, data, cause).then((r) =>
        observe(r, "offline: burst"),
      ),
    ),
  );
  // Every decision ran under the lock, in some order: those after a later one saw a rollback.
  assert.ok(
    results.every(
      (r) => r.status === IdentityStatusCode.Offline || r.status === IdentityStatusCode.SignInRequired,
    ),
  );
  assert.equal((await stored(client)).lastLocalTime, Math.max(...times));
});

test("nobody signed in: the decision says AuthDataEmpty, never Offline", async () => {
  const client = await signedIn();
  const data = await stored(client);
  await client.store.update(async () => ({ next: null, value: undefined })); // signed out meanwhile
  const r = observe(await decideOffline(client.ctx, data, cause), "offline: signed out meanwhile");
  assert.equal(r.status, IdentityStatusCode.AuthDataEmpty);
});

test("extreme clocks: NaN and infinities, 2^53, negative: SignInRequired, and the ratchet stays a time", async () => {
  const client = await signedIn();
  assert.equal(
    (await decide(client, iat * 1000 + hour, "offline: ratchet")).status,
    IdentityStatusCode.Offline,
  );
  for (const at of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, -1, 0]) {
    const r = await decide(client, at, "offline: extreme clock");
    assert.equal(r.status, IdentityStatusCode.SignInRequired, String(at));
  }
  assert.equal((await stored(client)).lastLocalTime, 2 ** 53, "the latest finite time, never NaN");
});

test("8 processes deciding at once on one store: the ratchet ends at the latest time, no process lowers it", async () => {
  const client = await signedIn();
  const storeDir = client.ctx.options.storeDir ?? "";
  const child = new URL("./helpers/offline-decide-child.ts", import.meta.url).pathname;
  const times = Array.from({ length: 8 }, (_, i) => iat * 1000 + (i + 1) * hour);
  const children = times.map((time) =>
    spawn(process.execPath, [child, storeDir, issuer, clientId, String(time)]),
  );
  try {
    const statuses = await Promise.all(
      children.map(async (proc) => {
        let out = "";
        proc.stdout.on("data", (chunk) => {
          out += chunk;
        });
        const [code] = await once(proc, "close");
        assert.equal(code, 0, out);
        const { status } = JSON.parse(out) as { status: IdentityStatusCode };
        return observe({ status }, "offline: processes deciding at once").status;
      }),
    );
    assert.ok(
      statuses.every((s) => s === IdentityStatusCode.Offline || s === IdentityStatusCode.SignInRequired),
    );
    assert.ok(statuses.includes(IdentityStatusCode.Offline), "the first to decide is within the grace");
    assert.equal((await stored(client)).lastLocalTime, Math.max(...times));
  } finally {
    for (const proc of children) if (proc.exitCode === null) proc.kill("SIGKILL");
  }
});
