import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode, TesseraApiCode } from "@tessera/codes";
import fc from "fast-check";
import { isAuthenticatorAttachment } from "../src/authenticators/webauthn/registration-response.ts";
import { extremes, junk, refusedNaming, seed, show, withField } from "./helpers/input-attacks.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { u2fKey } from "./helpers/u2f-key.ts";
import { ATTACK_APP_ID, type AttackTenant, WebAuthnFixtures } from "./helpers/webauthn-attack-setup.ts";

/**
 * Extremes and random junk in every field of every WebAuthn route body: the answer is a 4xx (a
 * 2xx only for a value that is valid there), never a 5xx or a hang, and a refusal names the field
 * or is the ceremony's own refusal (the response was changed, so it no longer verifies). Fixed
 * seed: the same inputs on every run (TESSERA_FUZZ_SEED explores others).
 */
/** What a verify may answer when the changed response is well-formed but no longer verifies. */
const ceremonyRefusals = new Set<number>([
  ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
  ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge,
  ApiReturnCode.PartnerUserFIDOU2FInvalidSignData,
  ApiReturnCode.PartnerUserFIDOU2FInvalidSignDataInvalid,
  ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
  ApiReturnCode.BogusUniqueDeviceId,
]);

/** A key handle the import must accept: canonical base64url of 1 to 255 bytes. */
function canonicalKeyHandle(value: unknown): boolean {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]+$/.test(value)) return false;
  const bytes = Buffer.from(value, "base64url");
  return bytes.length >= 1 && bytes.length <= 255 && bytes.toString("base64url") === value;
}

/**
 * Values a field may take and still sign in: a key without a user handle sends null or "", a U2F
 * key appid true, and authenticatorAttachment is an enum WebAuthn tells relying parties to ignore
 * when they do not know the value (a short lower-case word; anything else is refused).
 */
function validInVerify(field: string, value: unknown): boolean {
  if (field === "response.response.userHandle") return value === null || value === "";
  if (field === "response.authenticatorAttachment") return isAuthenticatorAttachment(value);
  return field === "response.clientExtensionResults.appid" && value === true;
}

const verifyFields = [
  "response.id",
  "response.rawId",
  "response.type",
  "response.response",
  "response.response.clientDataJSON",
  "response.response.authenticatorData",
  "response.response.signature",
  "response.response.userHandle",
  "response.clientExtensionResults",
  "response.clientExtensionResults.appid",
  "response.authenticatorAttachment",
] as const;

for (const backend of backends) {
  suite(`WebAuthn inputs: extremes and random bodies (${backend})`, () => {
    let s: TestServer;
    let f: WebAuthnFixtures;
    let t: AttackTenant;
    before(async () => {
      s = await startTestServer(backend);
      f = new WebAuthnFixtures(s);
      t = await f.tenant(["alice"]);
    });
    after(() => s.close());

    const alice = () => {
      const key = t.keys.alice;
      assert.ok(key !== undefined);
      return key;
    };
    const storedKeys = async () =>
      (
        await s.server.ctx.database.db
          .selectFrom("webauthn_credentials")
          .select("credential_id")
          .where("tenant_id", "=", t.tenantId)
          .execute()
      ).length;
    const importBody = () => {
      const key = u2fKey(ATTACK_APP_ID);
      return {
        username: "alice",
        keyHandle: key.keyHandle,
        publicKey: key.publicKey,
        appId: ATTACK_APP_ID,
        version: "U2F_V2",
        counter: 1,
        name: "key",
      } as Record<string, unknown>;
    };
    /** A fresh ceremony for alice and her key's valid answer to it. */
    const signedBody = async () => {
      const started = await f.options(t.apiKey, { username: "alice" }, "webauthn inputs: options");
      return { ceremonyId: started.ceremonyId, response: f.sign(alice(), started.options) } as Record<
        string,
        unknown
      >;
    };

    test("u2f-keys: extremes in every field are refused naming it; nothing is stored", async () => {
      const before = await storedKeys();
      for (const field of Object.keys(importBody()))
        for (const value of extremes) {
          if (field === "counter" && value === 2 ** 31) continue; // a valid counter (u32)
          const r = await s.api("POST", "/v1/webauthn/u2f-keys", {
            apiKey: t.apiKey,
            body: { ...importBody(), [field]: value },
            scenario: "webauthn inputs: import extremes",
          });
          refusedNaming(r, `body.${field}`, value);
        }
      assert.equal(await storedKeys(), before);
    });

    test("authentication/options: extremes in every field are refused naming it", async () => {
      for (const field of ["username", "clientId", "userVerification"])
        for (const value of extremes) {
          const r = await s.api("POST", "/v1/webauthn/authentication/options", {
            apiKey: t.apiKey,
            body: { username: "alice", [field]: value },
            scenario: "webauthn inputs: options extremes",
          });
          refusedNaming(r, `body.${field}`, value);
        }
    });

    test("authentication/verify: extremes in the ceremony id and every part of the response", async () => {
      for (const value of extremes)
        refusedNaming(
          await f.verify(
            t.apiKey,
            { ...(await signedBody()), ceremonyId: value },
            "webauthn inputs: verify extremes",
          ),
          "body.ceremonyId",
          value,
          new Set([ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData]),
        );
      for (const field of ["response", ...verifyFields])
        for (const value of extremes) {
          const body = withField(await signedBody(), field, value);
          const r = await f.verify(t.apiKey, body, "webauthn inputs: verify extremes");
          if (r.status === 200 && validInVerify(field, value)) continue;
          refusedNaming(r, `body.${field}`, value, ceremonyRefusals);
        }
    });

    test("1 MB strings are PayloadTooLarge; deep JSON is a 4xx, never a 5xx", async () => {
      const mb = "A".repeat(1 << 20);
      for (const [path, body] of [
        ["/v1/webauthn/u2f-keys", { ...importBody(), keyHandle: mb }],
        ["/v1/webauthn/authentication/options", { username: mb }],
        ["/v1/webauthn/authentication/verify", { ceremonyId: mb, response: {} }],
      ] as const) {
        const r = await s.api("POST", path, { apiKey: t.apiKey, body, scenario: "webauthn inputs: 1 MB" });
        assert.equal(r.status, 413, `${path}: ${JSON.stringify(r.body).slice(0, 200)}`);
        assert.equal(r.body.errorCode, TesseraApiCode.PayloadTooLarge);
      }
      const depth = 30_000;
      const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      const signed = JSON.stringify(await signedBody());
      for (const [path, text] of [
        ["/v1/webauthn/u2f-keys", JSON.stringify(importBody()).replace(/}$/, `,"name":${deep}}`)],
        ["/v1/webauthn/authentication/options", `{"username":${deep}}`],
        ["/v1/webauthn/authentication/verify", signed.replace(/}}$/, `},"x":${deep}}`)],
        ["/v1/webauthn/authentication/verify", signed.replace(/"signature":"[^"]*"/, `"signature":${deep}`)],
      ] as const) {
        const r = await s.api("POST", path, {
          apiKey: t.apiKey,
          rawBody: text,
          headers: { "content-type": "application/json" },
          scenario: "webauthn inputs: deep JSON",
        });
        assert.ok(
          r.status >= 400 && r.status < 500,
          `${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`,
        );
      }
    });

    test("u2f-keys: random junk in one field at a time (fast-check)", async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...Object.keys(importBody())), junk, async (field, value) => {
          const before = await storedKeys();
          const r = await s.api("POST", "/v1/webauthn/u2f-keys", {
            apiKey: t.apiKey,
            body: { ...importBody(), [field]: value },
            scenario: "webauthn inputs: import junk",
          });
          if (r.status === 201) {
            // Only what is valid there: a u32 counter, or a name of 1 to 100 characters.
            const ok =
              (field === "keyHandle" && canonicalKeyHandle(value)) ||
              (field === "counter" &&
                Number.isInteger(value) &&
                (value as number) >= 0 &&
                (value as number) < 2 ** 32) ||
              (field === "name" && typeof value === "string" && value.length >= 1 && value.length <= 100);
            assert.ok(ok, `${field}=${show(value)} accepted`);
            return;
          }
          refusedNaming(r, `body.${field}`, value);
          assert.equal(await storedKeys(), before);
        }),
        { seed, numRuns: 60 },
      );
    });

    test("authentication/options and verify: random junk in one field at a time (fast-check)", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("username", "clientId", "userVerification"),
          junk,
          async (field, value) => {
            const r = await s.api("POST", "/v1/webauthn/authentication/options", {
              apiKey: t.apiKey,
              body: { [field]: value },
              scenario: "webauthn inputs: options junk",
            });
            if (r.status === 200) {
              assert.ok(
                field === "userVerification" &&
                  ["required", "preferred", "discouraged"].includes(value as string),
                `${field}=${show(value)} accepted`,
              );
              return;
            }
            // A well-formed username of nobody is InvalidPartnerUserLogin, an unknown app NotFound: both name the field.
            refusedNaming(r, `body.${field}`, value);
          },
        ),
        { seed, numRuns: 60 },
      );
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...verifyFields), junk, async (field, value) => {
          const body = withField(await signedBody(), field, value);
          const r = await f.verify(t.apiKey, body, "webauthn inputs: verify junk");
          if (r.status === 200) {
            // Only what the verification does not read may change and still sign in.
            assert.ok(
              validInVerify(field, value) ||
                (field === "response.clientExtensionResults" &&
                  (value as { appid?: unknown })?.appid === true),
              `${field}=${show(value)} accepted`,
            );
            return;
          }
          refusedNaming(r, `body.${field}`, value, ceremonyRefusals);
        }),
        { seed, numRuns: 60 },
      );
    });
  });
}
