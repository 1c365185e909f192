import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { test } from "node:test";
import { CredentialStatus as S, TesseraApiCode } from "@tessera/codes";
import { refuseHop } from "../src/link/connectors/request-address-policy.ts";
import { outboundDns } from "../src/net/checked-lookup.ts";
import { linkCaller, siteBody, startLinkServer, waitFor } from "./helpers/link.ts";
import { backends } from "./helpers/test-database.ts";

/**
 * A tenant admin chooses its sites' and webhooks' addresses and reads what happened to them (a
 * job's timeline, a webhook registration's answer). Those answers must not tell a name that
 * resolves into the server's own network from a name that does not exist: otherwise the server's
 * internal DNS can be mapped from outside, one name at a time. The production defaults apply
 * (private networks refused); the resolver plays an internal DNS server.
 */
const internal: Record<string, string> = { "db.corp.example": "10.20.30.40" };
const realResolve = outboundDns.resolve;
function playInternalDns(): void {
  outboundDns.resolve = async (host): Promise<LookupAddress[]> => {
    const address = internal[host];
    if (address !== undefined) return [{ address, family: 4 }];
    throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  };
}

for (const backend of backends) {
  test(`a site at an internal name and one at a name that does not exist end alike in the timeline (${backend})`, async () => {
    const link = await startLinkServer(backend);
    playInternalDns();
    try {
      const call = linkCaller(() => link);
      const scenario = "link: internal DNS is not told";
      const outcome = async (host: string) => {
        const id = host.split(".")[0] as string;
        const created = await call(
          "POST",
          "/v1/link/sites",
          scenario,
          siteBody(id, { url: `https://${host}/ofx` }),
        );
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const connected = await call("POST", "/v1/link/credentials", scenario, {
          username: link.username,
          site: id,
          fields: { login: "someone", password: "secret" },
        });
        assert.equal(connected.status, 201, JSON.stringify(connected.body));
        const jobId = (connected.body.job as { id: string }).id;
        const entries = await waitFor(link, jobId, scenario, (list) => list.some((e) => e.code >= 400));
        const failed = entries.find((e) => e.code >= 400);
        return { code: failed?.code, message: String(failed?.message).replaceAll(host, "HOST") };
      };
      const inside = await outcome("db.corp.example");
      const nowhere = await outcome("nothing.corp.example");
      assert.deepEqual(inside, nowhere);
      assert.equal(inside.code, S.Error);
      assert.doesNotMatch(inside.message, /10\.20\.30\.40|ENOTFOUND/);
    } finally {
      outboundDns.resolve = realResolve;
      await link.server.close();
    }
  });

  test(`a webhook at an internal name and one at a name that does not exist are refused alike (${backend})`, async () => {
    const link = await startLinkServer(backend);
    playInternalDns();
    try {
      const call = linkCaller(() => link);
      const scenario = "link: internal DNS is not told by webhooks";
      const refusal = async (host: string) => {
        const answer = await call("POST", "/v1/link/webhooks", scenario, { url: `https://${host}/hooks` });
        assert.equal(answer.body.errorCode, TesseraApiCode.WebhookAddressNotAllowed);
        return JSON.stringify(answer.body).replaceAll(host, "HOST");
      };
      assert.equal(await refusal("db.corp.example"), await refusal("nothing.corp.example"));
    } finally {
      outboundDns.resolve = realResolve;
      await link.server.close();
    }
  });
}

test("a redirect to a local name (single label, localhost) is refused like a site saved at one, without a lookup", () => {
  const from = new URL("https://ofx.bank.example/ofx");
  for (const target of ["https://intranet/", "https://db.localhost/", "https://LOCALHOST./x"]) {
    const refused = refuseHop({ url: new URL(target), from, exempt: false }, false);
    assert.match(refused ?? "", /is a local name/, target);
  }
  assert.equal(
    refuseHop({ url: new URL("https://www.bank.example/"), from, exempt: false }, false),
    undefined,
  );
});
