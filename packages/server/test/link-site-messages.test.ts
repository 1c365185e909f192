import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import { inUseInCliWords } from "../src/link/sites/site-cli-problems.ts";
import { type LinkSetup, siteBody, startLinkServer } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * What the site API says when it refuses: what to send instead of the validator's own words
 * ("must NOT have fewer than 1 properties", "must NOT be valid"), and who can change what.
 */
for (const backend of backends) {
  suite(`Site refusals say what to do (${backend})`, () => {
    let link: LinkSetup;
    const call = (method: string, path: string, body?: unknown) =>
      link.server.api(method, path, {
        apiKey: link.apiKey,
        scenario: "sites: messages",
        ...(body === undefined ? {} : { body }),
      });
    before(async () => {
      link = await startLinkServer(backend);
      assert.equal((await call("POST", "/v1/link/sites", siteBody("msg-own"))).status, 201);
    });
    after(() => link.server.close());

    test("an empty change: 400 saying a field is needed", async () => {
      const answer = await call("PATCH", "/v1/link/sites/msg-own", {});
      assert.equal(answer.status, 400);
      assert.equal(answer.body.errorCode, TesseraApiCode.MalformedRequest);
      assert.equal(answer.body.errorMessage, "body must give at least 1 field.");
    });

    test("markup in an OFX option: 400 saying what is allowed", async () => {
      const answer = await call(
        "POST",
        "/v1/link/sites",
        siteBody("msg-markup", { options: { org: "A<B", fid: "1" } }),
      );
      assert.equal(answer.status, 400);
      assert.equal(answer.body.field, "body.options.org");
      assert.equal(
        answer.body.errorMessage,
        "body.options.org must be 1 to 32 printable ASCII characters, without <, > or &.",
      );
    });

    test("a number of the wrong type: 400 in words (an integer)", async () => {
      const answer = await call("PATCH", "/v1/link/sites/msg-own", { maxConcurrency: 1.5 });
      assert.equal(answer.body.errorMessage, "body.maxConcurrency must be an integer.");
    });

    test("a built-in site is read-only for everyone: the message does not send the tenant to the operator", async () => {
      const answer = await call("PATCH", "/v1/link/sites/sandbox-bank", { enabled: false });
      assert.equal(answer.status, 403);
      assert.equal(answer.body.errorCode, TesseraApiCode.SiteReadOnly);
      assert.match(String(answer.body.errorMessage), /built in .*nobody changes it/);
      assert.doesNotMatch(String(answer.body.errorMessage), /operator/);
    });
  });
}

test("SiteInUse in the CLI: says --disable, and how to delete the credentials (the API: no CLI command)", () => {
  const api = new TesseraError(TesseraApiCode.SiteInUse, {
    message:
      "site acme has 2 credentials; delete them first (…), or switch the site off (enabled: false) instead",
  });
  assert.throws(
    () => inUseInCliWords("acme")(api),
    (error: TesseraError) =>
      error.code === TesseraApiCode.SiteInUse &&
      /^site acme has 2 credentials: switch it off instead \(tessera link site update acme --disable\), or delete them through the API first \(DELETE \/v1\/link\/credentials\/\{id\}; GET \/v1\/link\/credentials\?site=acme lists them\)$/.test(
        error.message,
      ) &&
      !error.message.includes("enabled: false"),
  );
  const other = new Error("boom");
  assert.throws(
    () => inUseInCliWords("acme")(other),
    (error) => error === other,
  );
});
