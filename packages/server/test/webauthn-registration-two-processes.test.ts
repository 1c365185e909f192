import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { apiRequest } from "./helpers/api-client.ts";
import { type ProcessPair, startProcessPair } from "./helpers/process-pair.ts";
import { SoftAuthenticator } from "./helpers/soft-authenticator.ts";

/** WebAuthn registration on two `tessera start` processes sharing one PostgreSQL database. */
suite("WebAuthn registration across two server processes", () => {
  let pair: ProcessPair;
  before(async () => {
    pair = await startProcessPair("webauthn-pair", "webauthn two processes: setup");
  });
  after(() => pair.close());

  const call = (url: string, method: string, path: string, body: unknown, scenario: string) =>
    apiRequest(`${url}${path}`, {
      method,
      scenario,
      headers: { authorization: `Bearer ${pair.apiKey}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test("20 concurrent verifications of one ceremony, half on each process: exactly one key", async () => {
    await call(pair.a.url, "POST", "/v1/users", { username: "alice" }, "webauthn two processes: user");
    const started = await call(
      pair.a.url,
      "POST",
      "/v1/webauthn/registration/options",
      { username: "alice" },
      "webauthn two processes: options",
    );
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const options = started.body.options as Record<string, unknown>;
    // The ceremony carries process a's origin: the answer comes from its page, wherever it is verified.
    const origin = new URL(pair.a.url).origin;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(
          i % 2 === 0 ? pair.a.url : pair.b.url,
          "POST",
          "/v1/webauthn/registration/verify",
          {
            ceremonyId: started.body.ceremonyId,
            response: new SoftAuthenticator().create(options, { origin }),
          },
          "webauthn two processes: verify burst",
        ),
      ),
    );
    assert.equal(
      results.filter((r) => r.status === 201).length,
      1,
      JSON.stringify(results.map((r) => r.body)),
    );
    for (const r of results.filter((r) => r.status !== 201))
      assert.equal(r.body.errorCode, ApiReturnCode.PartnerUserFIDOU2FInvalidSessionIdData);
    const listed = await call(
      pair.b.url,
      "GET",
      "/v1/users/alice/webauthn-keys",
      undefined,
      "webauthn two processes: list",
    );
    assert.equal((listed.body.keys as unknown[]).length, 1);
  });
});
