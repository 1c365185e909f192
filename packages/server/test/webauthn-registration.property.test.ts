import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import fc from "fast-check";
import { SoftAuthenticator } from "./helpers/soft-authenticator.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";
import { startRegistration, verify } from "./helpers/webauthn-registration.ts";

/**
 * Whatever POST /v1/webauthn/registration/verify receives as the response (random JSON, a real
 * response with one field replaced by junk, bytes of the client data or attestation object
 * flipped or cut), the answer is a 4xx with a WebAuthn code (or the request-shape refusal), never
 * a 500, and no refused response stores a key. Fixed seed: the same inputs on every run.
 */
const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_201;

const expected = new Set<number>([
  ApiReturnCode.PartnerUserFIDOU2FInvalidRegData,
  ApiReturnCode.PartnerUserFIDOU2FInvalidChallenge,
  ApiReturnCode.PartnerUserFIDOU2FInvalidAppID,
  ApiReturnCode.PartnerUserFIDOU2FInvalidPubKey,
  ApiReturnCode.PartnerUserFIDOU2FNoUserPresence,
  ApiReturnCode.PartnerUserFIDOU2FInvalidAttestationSig,
  ApiReturnCode.PartnerUserFIDOU2FInvalidVersion,
  9900, // MalformedRequest: the body's shape (response not an object)
]);

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    -1,
    0,
    2 ** 31,
    2 ** 53,
    0.5,
    null,
    true,
    [],
    {},
    "",
    "\u0000",
    "x".repeat(20_000),
  ),
  fc.string({ maxLength: 40 }),
  fc.base64String({ maxLength: 80 }).map((b) => b.replace(/\+/g, "-").replace(/\//g, "_").replace(/=/g, "")),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

type Mutation = (json: Record<string, unknown>) => unknown;
const setPath = (json: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> => {
  const [head, ...rest] = path;
  if (head === undefined) return json;
  const inner = (json[head] ?? {}) as Record<string, unknown>;
  return { ...json, [head]: rest.length === 0 ? value : setPath(inner, rest, value) };
};
const bytesOf = (json: Record<string, unknown>, field: string) =>
  Buffer.from(String((json.response as Record<string, unknown>)[field]), "base64url");

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  junk.map(
    (value): Mutation =>
      () =>
        value,
  ),
  fc
    .tuple(
      fc.constantFrom<string[]>(
        ["id"],
        ["rawId"],
        ["type"],
        ["response"],
        ["response", "clientDataJSON"],
        ["response", "attestationObject"],
        ["response", "transports"],
        ["clientExtensionResults"],
      ),
      junk,
    )
    .map(
      ([path, value]): Mutation =>
        (json) =>
          setPath(json, path, value),
    ),
  fc
    .tuple(fc.constantFrom("clientDataJSON", "attestationObject"), fc.nat(), fc.integer({ min: 1, max: 255 }))
    .map(
      ([field, at, xor]): Mutation =>
        (json) => {
          const bytes = bytesOf(json, field);
          const i = at % bytes.length;
          bytes[i] = (bytes[i] ?? 0) ^ xor;
          return setPath(json, ["response", field], bytes.toString("base64url"));
        },
    ),
  fc.tuple(fc.constantFrom("clientDataJSON", "attestationObject"), fc.nat()).map(
    ([field, at]): Mutation =>
      (json) => {
        const bytes = bytesOf(json, field);
        return setPath(json, ["response", field], bytes.subarray(0, at % bytes.length).toString("base64url"));
      },
  ),
);

for (const backend of backends) {
  suite(`WebAuthn registration responses, fuzzed (${backend})`, () => {
    let s: TestServer;
    let apiKey = "";
    let tenantId = "";
    before(async () => {
      s = await startTestServer(backend);
      const created = await s.tenant();
      apiKey = created.apiKey;
      tenantId = created.tenant.id;
      await s.api("POST", "/v1/users", {
        apiKey,
        body: { username: "alice" },
        scenario: "webauthn fuzz: setup",
      });
    });
    after(() => s.close());

    test("random and mutated responses: a 4xx with a WebAuthn code, never a 500, nothing stored", async () => {
      let accepted = 0;
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(mutation, async (mutate) => {
          const { ceremonyId, options } = await startRegistration(
            s,
            apiKey,
            { username: "alice" },
            "webauthn fuzz",
          );
          const real = new SoftAuthenticator().create(options, { origin: new URL(s.url).origin });
          const response = mutate(real);
          const r = await verify(s, apiKey, { ceremonyId, response }, "webauthn fuzz");
          assert.ok(r.status < 500, `${r.status} ${JSON.stringify(r.body)}`);
          // A flipped byte can land where nothing is checked (a transport, a JSON space): accepted.
          if (r.status === 201) accepted += 1;
          else assert.ok(expected.has(r.body.errorCode), JSON.stringify(r.body));
          seen.add(r.body.errorCode);
        }),
        { seed, numRuns: 80 },
      );
      const rows = await s.server.ctx.database.db
        .selectFrom("webauthn_credentials")
        .select("authenticator_id")
        .where("tenant_id", "=", tenantId)
        .execute();
      assert.equal(rows.length, accepted);
      // The mutations reach past the first check: several different refusals were provoked.
      assert.ok(seen.size >= 4, [...seen].join(", "));
    });
  });
}
