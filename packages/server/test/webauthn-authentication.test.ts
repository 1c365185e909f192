import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import { sql } from "kysely";
import type { ServerContext } from "../src/app/server-context.ts";
import { userHandleFor } from "../src/authenticators/webauthn/assertion-verify.ts";
import { findUser } from "../src/users/user-store.ts";
import { SoftAuthenticator, type Tamper } from "./helpers/soft-authenticator.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { storeSoftKey } from "./helpers/webauthn-credentials.ts";
import { register } from "./helpers/webauthn-registration.ts";

type Json = Record<string, unknown>;

for (const backend of backends) {
  suite(`WebAuthn sign-in through the API (${backend})`, () => {
    let s: TestServer;
    let ctx: ServerContext;
    let apiKey = "";
    let tenantId = "";
    let rpId = "";
    let origin = "";
    let n = 0;
    before(async () => {
      s = await startTestServer(backend);
      ({
        apiKey,
        tenant: { id: tenantId },
      } = await s.tenant());
      ctx = s.server.ctx;
      rpId = new URL(ctx.publicUrl).hostname;
      origin = new URL(ctx.publicUrl).origin;
    });
    after(() => s.close());

    const call = (method: string, path: string, body: unknown, scenario: string, key = apiKey) =>
      s.api(method, path, { apiKey: key, body, scenario });
    /** A user with one key of the tenant's relying party. */
    const userWithKey = async (extra: { u2fAppId?: string; signCount?: number; rpId?: string } = {}) => {
      n += 1;
      const username = `wa${n}`;
      assert.equal((await call("POST", "/v1/users", { username }, "webauthn sign-in: setup")).status, 201);
      const user = await findUser(ctx.database.db, tenantId, username);
      assert.ok(user !== undefined);
      const soft = new SoftAuthenticator();
      const key = await storeSoftKey(ctx, soft, {
        tenantId,
        userId: user.id,
        rpId: extra.rpId ?? rpId,
        origin,
        ...extra,
      });
      return { username, userId: user.id, soft, ...key };
    };
    const options = async (body: Json, scenario: string, key = apiKey) => {
      const r = await call("POST", "/v1/webauthn/authentication/options", body, scenario, key);
      return r;
    };
    const started = async (body: Json) => {
      const r = await options(body, "webauthn sign-in: options");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return { ceremonyId: String(r.body.ceremonyId), options: r.body.options as Json };
    };
    const verify = (ceremonyId: string, response: unknown, scenario: string, key = apiKey) =>
      call("POST", "/v1/webauthn/authentication/verify", { ceremonyId, response }, scenario, key);
    /** Options for `username`, an assertion from `soft` (bent by `o`), verified. */
    const signIn = async (
      who: { username?: string; soft: SoftAuthenticator },
      scenario: string,
      o: { tamper?: Tamper; up?: boolean; uv?: boolean; appId?: string; origin?: string } = {},
      extra: Json = {},
    ) => {
      const begun = await started({
        ...(who.username === undefined ? {} : { username: who.username }),
        ...extra,
      });
      const response = who.soft.get(begun.options, { origin, ...o });
      return { ...begun, response, answer: await verify(begun.ceremonyId, response, scenario) };
    };
    const credentialRow = (credentialId: string) =>
      ctx.database.db
        .selectFrom("webauthn_credentials")
        .selectAll()
        .where("credential_id", "=", credentialId)
        .executeTakeFirstOrThrow();
    const refused = (r: { status: number; body: Json }, code: number, status?: number) => {
      assert.equal(r.body.errorCode, code, JSON.stringify(r.body));
      if (status !== undefined) assert.equal(r.status, status);
    };

    test("a key signs in once per ceremony: allowCredentials names it, the counter and last use are stored", async () => {
      const alice = await userWithKey();
      const begun = await started({ username: alice.username });
      assert.deepEqual(
        (begun.options.allowCredentials as Json[]).map((c) => c.id),
        [alice.credentialId],
      );
      assert.equal(begun.options.rpId, rpId);
      assert.ok(Buffer.from(String(begun.options.challenge), "base64url").length >= 16);
      const response = alice.soft.get(begun.options, { origin });
      const ok = await verify(begun.ceremonyId, response, "webauthn sign-in: success");
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(
        { username: ok.body.username, serial: ok.body.serial, userVerified: ok.body.userVerified },
        { username: alice.username, serial: alice.serial, userVerified: true },
      );
      const row = await credentialRow(alice.credentialId);
      assert.equal(Number(row.sign_count), 1);
      assert.equal(Number(row.last_used_at), s.clock.now());
      refused(
        await verify(begun.ceremonyId, response, "webauthn sign-in: replayed ceremony"),
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
      );
    });

    test("an assertion from an origin not allowed says where origins are allowed, quoting nothing", async () => {
      const alice = await userWithKey();
      const r = await signIn(alice, "webauthn sign-in: origin refused, next step", {
        origin: "https://pages.example",
      });
      refused(r.answer, ApiReturnCode.PartnerUserFIDOU2FInvalidAppID, 401);
      assert.match(String(r.answer.body.errorMessage), /webauthnOrigins \(PATCH \/v1\/tenant\)/);
      assert.doesNotMatch(String(r.answer.body.errorMessage), /pages\.example|127\.0\.0\.1/);
    });

    test("a key registered through the API signs in, with a username and as a passkey; the key view shows its use", async () => {
      n += 1;
      const username = `wa${n}`;
      await call("POST", "/v1/users", { username }, "webauthn sign-in: setup");
      const soft = new SoftAuthenticator();
      const registered = await register(s, apiKey, username, {
        authenticator: soft,
        body: { residentKey: "required" },
      });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const serial = String((registered.body.key as Json).serial);
      const named = await signIn({ username, soft }, "webauthn sign-in: registered key");
      assert.equal(named.answer.body.serial, serial, JSON.stringify(named.answer.body));
      const passkey = await signIn({ soft }, "webauthn sign-in: registered passkey");
      assert.equal(passkey.answer.body.username, username, JSON.stringify(passkey.answer.body));
      const listed = await call(
        "GET",
        `/v1/users/${username}/webauthn-keys`,
        undefined,
        "webauthn sign-in: keys",
      );
      const [key] = listed.body.keys as Json[];
      assert.equal(key?.lastUsedAt, new Date(s.clock.now()).toISOString());
      assert.equal(key?.cloneSuspected, false);
    });

    test("options: NoEnrolledDevices without keys; PrepareSignDataError for keys of another RP id or all disabled", async () => {
      n += 1;
      const bare = `wa${n}`;
      await call("POST", "/v1/users", { username: bare }, "webauthn sign-in: setup");
      refused(
        await options({ username: bare }, "webauthn sign-in: no keys"),
        ApiReturnCode.PartnerUserFIDOU2FNoEnrolledDevices,
      );
      const elsewhere = await userWithKey({ rpId: "elsewhere.example" });
      const other = await options({ username: elsewhere.username }, "webauthn sign-in: keys of another RP");
      refused(other, ApiReturnCode.PartnerUserFIDOU2FPrepareSignDataError);
      assert.match(String(other.body.errorMessage), /another relying party id/);
      const off = await userWithKey();
      await call("POST", `/v1/authenticators/${off.serial}/disable`, undefined, "webauthn sign-in: setup");
      refused(
        await options({ username: off.username }, "webauthn sign-in: all keys disabled"),
        ApiReturnCode.PartnerUserFIDOU2FPrepareSignDataError,
      );
      refused(
        await options({ username: "nobody-here" }, "webauthn sign-in: unknown user"),
        ApiReturnCode.InvalidPartnerUserLogin,
      );
      refused(
        await options({ clientId: "no-such-app" }, "webauthn sign-in: unknown app"),
        TesseraApiCode.NotFound,
      );
    });

    test("discoverable: no username gives empty allowCredentials; the userHandle must be the credential's user (named or not)", async () => {
      const bob = await userWithKey();
      const carol = await userWithKey();
      const begun = await started({});
      assert.deepEqual(begun.options.allowCredentials, []);
      const ok = await verify(
        begun.ceremonyId,
        bob.soft.get(begun.options, { origin }),
        "webauthn sign-in: discoverable",
      );
      assert.equal(ok.body.username, bob.username, JSON.stringify(ok.body));
      const swapped = await signIn({ soft: bob.soft }, "webauthn sign-in: userHandle of another user", {
        tamper: {
          response: (json) => ({
            ...json,
            response: { ...(json.response as Json), userHandle: userHandleFor(carol.userId) },
          }),
        },
      });
      refused(swapped.answer, ApiReturnCode.BogusUniqueDeviceId);
      const none = await signIn({ soft: bob.soft }, "webauthn sign-in: no userHandle", {
        tamper: {
          response: (json) => {
            const { userHandle: _dropped, ...rest } = json.response as Json;
            return { ...json, response: rest };
          },
        },
      });
      refused(none.answer, ApiReturnCode.BogusUniqueDeviceId);
      // With the username named, a key may send no handle, but one it sends must be its user's.
      const named = await signIn(bob, "webauthn sign-in: named user, userHandle of another user", {
        tamper: {
          response: (json) => ({
            ...json,
            response: { ...(json.response as Json), userHandle: userHandleFor(carol.userId) },
          }),
        },
      });
      refused(named.answer, ApiReturnCode.BogusUniqueDeviceId);
      const namedNone = await signIn(bob, "webauthn sign-in: named user, no userHandle", {
        tamper: {
          response: (json) => {
            const { userHandle: _dropped, ...rest } = json.response as Json;
            return { ...json, response: rest };
          },
        },
      });
      assert.equal(namedNone.answer.status, 200, JSON.stringify(namedNone.answer.body));
    });

    test("credential ids: malformed is BogusPhysicalDeviceId; unknown, another user's or tenant's is BogusUniqueDeviceId", async () => {
      const dave = await userWithKey();
      const erin = await userWithKey();
      const withId = (id: string) => (json: Json) => ({ ...json, id, rawId: id });
      for (const [id, scenario] of [
        ["not base64url!", "webauthn sign-in: credential id not base64url"],
        ["", "webauthn sign-in: empty credential id"],
        ["A".repeat(1400), "webauthn sign-in: credential id too long"],
        ["A", "webauthn sign-in: credential id of impossible length"],
      ] as const) {
        const r = await signIn(dave, scenario, { tamper: { response: withId(id) } });
        refused(r.answer, ApiReturnCode.BogusPhysicalDeviceId);
        assert.equal(r.answer.body.field, "body.response.id");
      }
      const unknown = await signIn(dave, "webauthn sign-in: unknown credential id", {
        tamper: { response: withId(Buffer.alloc(32, 7).toString("base64url")) },
      });
      refused(unknown.answer, ApiReturnCode.BogusUniqueDeviceId);
      // Erin's own key answering a ceremony begun for Dave.
      const begun = await started({ username: dave.username });
      const erinsAnswer = erin.soft.get({ ...begun.options, allowCredentials: [] }, { origin });
      refused(
        await verify(begun.ceremonyId, erinsAnswer, "webauthn sign-in: another user's credential"),
        ApiReturnCode.BogusUniqueDeviceId,
      );
      // Another tenant: its ceremony, Dave's credential id.
      const other = await s.tenant();
      const foreign = await options({}, "webauthn sign-in: other tenant options", other.apiKey);
      const response = dave.soft.get(foreign.body.options as Json, { origin });
      refused(
        await verify(
          String(foreign.body.ceremonyId),
          response,
          "webauthn sign-in: another tenant's credential",
          other.apiKey,
        ),
        ApiReturnCode.BogusUniqueDeviceId,
      );
      // And a ceremony of this tenant is unknown to the other.
      const mine = await started({ username: dave.username });
      refused(
        await verify(
          mine.ceremonyId,
          dave.soft.get(mine.options, { origin }),
          "webauthn sign-in: ceremony of another tenant",
          other.apiKey,
        ),
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
      );
    });

    test("broken assertions map onto their codes, and each spends its ceremony", async () => {
      const frank = await userWithKey();
      const part = (name: string, value: unknown) => (json: Json) => ({
        ...json,
        response: { ...(json.response as Json), [name]: value },
      });
      const cases: [string, Parameters<typeof signIn>[2], number][] = [
        [
          "webauthn sign-in: authenticatorData undecodable",
          { tamper: { response: part("authenticatorData", "###") } },
          ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
        ],
        [
          "webauthn sign-in: authenticatorData too short",
          { tamper: { authData: (d) => d.subarray(0, 20) } },
          ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
        ],
        [
          "webauthn sign-in: clientDataJSON not JSON",
          { tamper: { response: part("clientDataJSON", Buffer.from("{nope").toString("base64url")) } },
          ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
        ],
        [
          "webauthn sign-in: signature undecodable",
          { tamper: { response: part("signature", "%%") } },
          ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
        ],
        [
          "webauthn sign-in: wrong type",
          { tamper: { clientData: (c) => ({ ...c, type: "webauthn.create" }) } },
          ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
        ],
        [
          // The library quotes the client's type in its message: the code must not follow the quote.
          "webauthn sign-in: type naming a challenge",
          { tamper: { clientData: (c) => ({ ...c, type: "challenge origin" }) } },
          ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
        ],
        [
          "webauthn sign-in: signature of other data",
          {
            tamper: {
              signature: (sig) => Buffer.from(sig.map((b, i) => (i === sig.length - 1 ? b ^ 1 : b))),
            },
          },
          ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid,
        ],
        [
          "webauthn sign-in: wrong origin",
          { origin: "https://evil.example" },
          ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
        ],
        [
          "webauthn sign-in: wrong RP id hash",
          { appId: "https://evil.example" },
          ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
        ],
        [
          "webauthn sign-in: wrong challenge",
          { tamper: { clientData: (c) => ({ ...c, challenge: Buffer.alloc(32).toString("base64url") }) } },
          ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge,
        ],
        ["webauthn sign-in: user not present", { up: false }, ApiReturnCode.PartnerUserFIDOU2FNoUserPresence],
      ];
      for (const [scenario, o, code] of cases) {
        const r = await signIn(frank, scenario, o);
        refused(r.answer, code);
        refused(
          await verify(
            r.ceremonyId,
            frank.soft.get((await started({ username: frank.username })).options, { origin }),
            `${scenario} (retried)`,
          ),
          ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
        );
      }
      // UV: preferred by default, so an unverified assertion passes; asked for by the request or
      // required by the tenant, it is refused.
      const plain = await signIn(frank, "webauthn sign-in: no UV, preferred", { uv: false });
      assert.equal(plain.answer.body.userVerified, false, JSON.stringify(plain.answer.body));
      const asked = await signIn(
        frank,
        "webauthn sign-in: no UV, required by request",
        { uv: false },
        { userVerification: "required" },
      );
      refused(asked.answer, ApiReturnCode.PartnerUserFIDOU2FNoUserPresence);
      await ctx.database.db
        .updateTable("tenants")
        .set({ webauthn_user_verification: "required" })
        .where("id", "=", tenantId)
        .execute();
      try {
        const policy = await signIn(
          frank,
          "webauthn sign-in: no UV, required by tenant",
          { uv: false },
          { userVerification: "discouraged" },
        );
        assert.equal(policy.options.userVerification, "required");
        refused(policy.answer, ApiReturnCode.PartnerUserFIDOU2FNoUserPresence);
      } finally {
        await ctx.database.db
          .updateTable("tenants")
          .set({ webauthn_user_verification: "preferred" })
          .where("id", "=", tenantId)
          .execute();
      }
    });

    test("ceremony ids: expired, malformed or of the registration kind are InvalidSessionIdData", async () => {
      const gina = await userWithKey();
      const begun = await started({ username: gina.username });
      const response = gina.soft.get(begun.options, { origin });
      s.clock.advance(5 * 60_000 + 1);
      refused(
        await verify(begun.ceremonyId, response, "webauthn sign-in: expired ceremony"),
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
      );
      refused(
        await verify("x".repeat(43), response, "webauthn sign-in: unknown ceremony"),
        ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData,
      );
      const huge = await verify("x".repeat(5000), response, "webauthn sign-in: huge ceremony id");
      refused(huge, TesseraApiCode.MalformedRequest, 400);
      const notObject = await call(
        "POST",
        "/v1/webauthn/authentication/verify",
        { ceremonyId: begun.ceremonyId, response: 2 ** 53 },
        "webauthn sign-in: response a number",
      );
      refused(notObject, TesseraApiCode.MalformedRequest, 400);
      const badUv = await options({ userVerification: "always" }, "webauthn sign-in: bad userVerification");
      refused(badUv, TesseraApiCode.MalformedRequest, 400);
    });

    test("extremes: numbers and huge strings where ids go are 4xx naming the field, never a 5xx", async () => {
      const olga = await userWithKey();
      for (const id of [2 ** 53, -1, 2 ** 31, 1.5, "A".repeat(200_000)]) {
        const r = await signIn(olga, `webauthn sign-in: credential id ${typeof id}`, {
          tamper: { response: (json) => ({ ...json, id, rawId: id }) },
        });
        assert.ok(r.answer.status >= 400 && r.answer.status < 500, JSON.stringify(r.answer.body));
        if (typeof id === "number") {
          refused(r.answer, ApiReturnCode.BogusPhysicalDeviceId);
          assert.equal(r.answer.body.field, "body.response.id");
        }
      }
      for (const ceremonyId of [2 ** 53, -1, 1.5, null]) {
        const r = await call(
          "POST",
          "/v1/webauthn/authentication/verify",
          { ceremonyId, response: {} },
          "webauthn sign-in: ceremony id not a string",
        );
        refused(r, TesseraApiCode.MalformedRequest, 400);
        assert.equal(r.body.field, "body.ceremonyId");
      }
      for (const [name, value] of [
        ["clientDataJSON", 2 ** 31],
        ["signature", -1],
        ["authenticatorData", 1.5],
        ["userHandle", 2 ** 53],
      ] as const) {
        const r = await signIn(olga, `webauthn sign-in: ${name} a number`, {
          tamper: {
            response: (json) => ({ ...json, response: { ...(json.response as Json), [name]: value } }),
          },
        });
        refused(r.answer, ApiReturnCode.PartnerUserFIDOU2FInvalidSignData, 400);
        assert.equal(r.answer.body.field, `body.response.response.${name}`);
      }
      const longName = await options({ username: "u".repeat(10_000) }, "webauthn sign-in: huge username");
      assert.equal(longName.status, 400, JSON.stringify(longName.body));
    });

    test("an expired user is refused at options and at verify", async () => {
      const pat = await userWithKey();
      const begun = await started({ username: pat.username });
      await ctx.database.db
        .updateTable("users")
        .set({ expires_at: s.clock.now() - 1 })
        .where("id", "=", pat.userId)
        .execute();
      refused(
        await options({ username: pat.username }, "webauthn sign-in: user expired (options)"),
        ApiReturnCode.AccountExpired,
      );
      refused(
        await verify(
          begun.ceremonyId,
          pat.soft.get(begun.options, { origin }),
          "webauthn sign-in: user expired (verify)",
        ),
        ApiReturnCode.AccountExpired,
      );
    });

    test("a disabled user, a disabled key and a locked key are refused like the OTP path refuses them", async () => {
      const hank = await userWithKey();
      const begun = await started({ username: hank.username });
      await call("PATCH", `/v1/users/${hank.username}`, { disabled: true }, "webauthn sign-in: setup");
      refused(
        await verify(
          begun.ceremonyId,
          hank.soft.get(begun.options, { origin }),
          "webauthn sign-in: user disabled",
        ),
        ApiReturnCode.PartnerUserLoginDisabled,
      );
      await call("PATCH", `/v1/users/${hank.username}`, { disabled: false }, "webauthn sign-in: setup");
      const next = await started({ username: hank.username });
      await call("POST", `/v1/authenticators/${hank.serial}/disable`, undefined, "webauthn sign-in: setup");
      refused(
        await verify(
          next.ceremonyId,
          hank.soft.get(next.options, { origin }),
          "webauthn sign-in: key disabled",
        ),
        ApiReturnCode.DeviceDiabled,
      );
      await call("POST", `/v1/authenticators/${hank.serial}/enable`, undefined, "webauthn sign-in: setup");
      const third = await started({ username: hank.username });
      await ctx.database.db
        .updateTable("authenticators")
        .set({ locked_until: s.clock.now() + 60_000 })
        .where("serial", "=", hank.serial)
        .execute();
      refused(
        await verify(
          third.ceremonyId,
          hank.soft.get(third.options, { origin }),
          "webauthn sign-in: key locked",
        ),
        ApiReturnCode.MaximumFailedOTPRequestsExceeded,
      );
    });

    test("a key row whose sealed public key was swapped in the database is DeviceInvalid, never verified", async () => {
      const quinn = await userWithKey();
      const rob = await userWithKey();
      // Rob's sealed key copied into Quinn's row: sealed to another row id, it does not open.
      const robs = await ctx.database.db
        .selectFrom("authenticators")
        .select("secret_enc")
        .where("serial", "=", rob.serial)
        .executeTakeFirstOrThrow();
      await ctx.database.db
        .updateTable("authenticators")
        .set({ secret_enc: robs.secret_enc })
        .where("serial", "=", quinn.serial)
        .execute();
      const r = await signIn(quinn, "webauthn sign-in: sealed key swapped");
      refused(r.answer, ApiReturnCode.DeviceInvalid);
    });

    test("a counter that does not move forward is refused, flagged, audited; the key stays refused until re-enabled", async () => {
      const ivy = await userWithKey({ signCount: 10 });
      // A forged assertion (bad signature) with a low counter flags nothing: the signature comes first.
      ivy.credential.counter = 2;
      const forged = await signIn(ivy, "webauthn sign-in: forged low counter", {
        tamper: { signature: (sig) => Buffer.from(sig.map((b, i) => (i === 8 ? b ^ 1 : b))) },
      });
      refused(forged.answer, ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid);
      assert.equal((await credentialRow(ivy.credentialId)).clone_suspected_at, null);
      // A properly signed assertion whose counter (4) is below the stored 10: a clone.
      const clone = await signIn(ivy, "webauthn sign-in: counter went back");
      refused(clone.answer, ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid);
      const row = await credentialRow(ivy.credentialId);
      assert.equal(Number(row.clone_suspected_at), s.clock.now());
      assert.equal(Number(row.sign_count), 10);
      const events = await ctx.database.db
        .selectFrom("audit_events")
        .selectAll()
        .where("subject", "=", `authenticator:${ivy.serial}`)
        .execute();
      assert.ok(
        events.some((e) => /possible clone/.test(String(e.operation))),
        JSON.stringify(events),
      );
      ivy.credential.counter = 20;
      refused(
        await options({ username: ivy.username }, "webauthn sign-in: options for a flagged key"),
        ApiReturnCode.PartnerUserFIDOU2FPrepareSignDataError,
      );
      const discoverable = await signIn({ soft: ivy.soft }, "webauthn sign-in: flagged key");
      refused(discoverable.answer, ApiReturnCode.DeviceDiabled);
      assert.match(String(discoverable.answer.body.errorMessage), /possible clone/);
      await call("POST", `/v1/authenticators/${ivy.serial}/enable`, undefined, "webauthn sign-in: re-enable");
      const back = await signIn(ivy, "webauthn sign-in: after re-enable");
      assert.equal(back.answer.status, 200, JSON.stringify(back.answer.body));
      const cleared = await credentialRow(ivy.credentialId);
      assert.equal(cleared.clone_suspected_at, null);
      assert.equal(Number(cleared.sign_count), 22);
    });

    // SQLite only: its RAISE(IGNORE) lets a trigger skip the counter's UPDATE after deleting the row,
    // which puts a DELETE exactly between the verification's read and its compare-and-set.
    if (backend === "sqlite")
      test("a key deleted between the read and the counter write is unknown, not flagged as a clone", async () => {
        const kim = await userWithKey({ signCount: 5 });
        kim.credential.counter = 8;
        await sql
          .raw(
            `CREATE TRIGGER kim_deleted BEFORE UPDATE ON webauthn_credentials WHEN OLD.credential_id = '${kim.credentialId}' BEGIN DELETE FROM webauthn_credentials WHERE authenticator_id = OLD.authenticator_id; SELECT RAISE(IGNORE); END`,
          )
          .execute(ctx.database.db);
        try {
          const r = await signIn(kim, "webauthn sign-in: key deleted meanwhile");
          refused(r.answer, ApiReturnCode.BogusUniqueDeviceId);
        } finally {
          await sql.raw("DROP TRIGGER kim_deleted").execute(ctx.database.db);
        }
        const events = await ctx.database.db
          .selectFrom("audit_events")
          .select("operation")
          .where("subject", "=", `authenticator:${kim.serial}`)
          .execute();
        assert.ok(!events.some((e) => /possible clone/.test(String(e.operation))), JSON.stringify(events));
      });

    test("an authenticator that does not count (always 0) signs in again and again", async () => {
      const jo = await userWithKey();
      for (let i = 0; i < 3; i += 1) {
        jo.credential.counter = -1;
        const r = await signIn(jo, "webauthn sign-in: zero counter");
        assert.equal(r.answer.status, 200, JSON.stringify(r.answer.body));
      }
      assert.equal(Number((await credentialRow(jo.credentialId)).sign_count), 0);
    });

    test("a legacy U2F key signs in through the appid extension; without it the RP id hash is wrong", async () => {
      const appId = `${origin}/u2f-app-id.json`;
      const kim = await userWithKey({ u2fAppId: appId });
      const begun = await started({ username: kim.username });
      assert.deepEqual(begun.options.extensions, { appid: appId });
      const ok = await verify(
        begun.ceremonyId,
        kim.soft.get(begun.options, { origin, appId }),
        "webauthn sign-in: appid",
      );
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const noFlag = await signIn(kim, "webauthn sign-in: appid hash without the extension", {
        appId,
        tamper: { response: (json) => ({ ...json, clientExtensionResults: {} }) },
      });
      refused(noFlag.answer, ApiReturnCode.PartnerUserFIDOU2FInvalidAppID);
    });

    test("an SSO app's own origin is accepted for a ceremony begun with its clientId, and only then", async () => {
      const other = await s.tenant();
      const api = (method: string, path: string, body: unknown, scenario: string) =>
        call(method, path, body, scenario, other.apiKey);
      const rp = { webauthnRpId: "localhost", webauthnOrigins: ["http://localhost:8443"] };
      assert.equal((await api("PATCH", "/v1/tenant", rp, "webauthn sign-in: setup")).status, 200);
      const created = await api(
        "POST",
        "/v1/apps",
        {
          name: "Shop",
          kind: "browser",
          redirectUris: ["https://shop.localhost/cb"],
          webauthnOrigins: ["https://shop.localhost"],
        },
        "webauthn sign-in: setup",
      );
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const clientId = String((created.body.app as Json).clientId);
      await api("POST", "/v1/users", { username: "shopper" }, "webauthn sign-in: setup");
      const user = await findUser(ctx.database.db, other.tenant.id, "shopper");
      assert.ok(user !== undefined);
      const soft = new SoftAuthenticator();
      await storeSoftKey(ctx, soft, {
        tenantId: other.tenant.id,
        userId: user.id,
        rpId: "localhost",
        origin: "https://shop.localhost",
      });
      const attempt = async (body: Json, scenario: string) => {
        const begun = await options(body, scenario, other.apiKey);
        assert.equal(begun.status, 200, JSON.stringify(begun.body));
        const response = soft.get(begun.body.options as Json, { origin: "https://shop.localhost" });
        return verify(String(begun.body.ceremonyId), response, scenario, other.apiKey);
      };
      const ok = await attempt({ username: "shopper", clientId }, "webauthn sign-in: app origin");
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      refused(
        await attempt({ username: "shopper" }, "webauthn sign-in: app origin without the app"),
        ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
      );
    });

    test("burst: 20 concurrent verifications of one assertion, exactly one accepted", async () => {
      const lee = await userWithKey();
      const begun = await started({ username: lee.username });
      const response = lee.soft.get(begun.options, { origin });
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          verify(begun.ceremonyId, response, "webauthn sign-in: burst of one assertion"),
        ),
      );
      assert.equal(answers.filter((r) => r.status === 200).length, 1);
      for (const r of answers.filter((r) => r.status !== 200))
        refused(r, ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData);
    });

    test("burst: assertions of ten ceremonies at once, the stored counter never goes back", async () => {
      const max = await userWithKey();
      const begun = await Promise.all(Array.from({ length: 10 }, () => started({ username: max.username })));
      const responses = begun.map((b) => max.soft.get(b.options, { origin }));
      const answers = await Promise.all(
        begun.map((b, i) => verify(b.ceremonyId, responses[i], "webauthn sign-in: burst of ceremonies")),
      );
      const accepted = answers.flatMap((r, i) => (r.status === 200 ? [i + 1] : []));
      assert.ok(accepted.length >= 1);
      for (const r of answers.filter((r) => r.status !== 200))
        assert.ok(
          (
            [ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid, ApiReturnCode.DeviceDiabled] as number[]
          ).includes(Number(r.body.errorCode)),
          JSON.stringify(r.body),
        );
      assert.equal(Number((await credentialRow(max.credentialId)).sign_count), Math.max(...accepted));
    });
  });
}

for (const backend of backends) {
  suite(`WebAuthn sign-in counts against the /v1/auth rate limits (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      // Tightened (not loosened) so that a burst crosses the per-source limit quickly.
      s = await startTestServer(backend, { flags: { "rateLimits.authPerSource": 5 } });
    });
    after(() => s.close());

    test("a burst of 12 options and verify calls: at most 5 evaluated, the rest RateLimited", async () => {
      const { apiKey } = await s.tenant();
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_v, i) =>
          s.api("POST", `/v1/webauthn/authentication/${i % 2 === 0 ? "options" : "verify"}`, {
            apiKey,
            body: i % 2 === 0 ? {} : { ceremonyId: "x".repeat(43), response: {} },
            scenario: "webauthn sign-in: rate limited",
          }),
        ),
      );
      const limited = answers.filter((r) => r.body.errorCode === TesseraApiCode.RateLimited);
      assert.ok(answers.length - limited.length <= 5, answers.map((r) => r.body.errorName).join());
      for (const r of limited) assert.equal(r.status, 429);
    });
  });
}
