import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { recordObservedCode } from "@tessera/codes/coverage";
import { refuseUnknownClient } from "../src/radius/clients/unknown-client.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/**
 * refuseUnknownClient: every dropped RADIUS packet is counted in the metrics; the audit trail
 * gets GetRadiusServerClientList within limits a flood cannot get past.
 */
for (const backend of backends) {
  suite(`RADIUS dropped packets (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const drops = async (scenario: string) => {
      const events = await s.server.ctx.database.db
        .selectFrom("audit_events")
        .select(["operation", "result_code", "source_ip", "tenant_id"])
        .where("operation", "like", "radius.drop.%")
        .orderBy("seq")
        .execute();
      for (const e of events) recordObservedCode("api", Number(e.result_code), scenario);
      return events;
    };
    const metric = async (reason: string) => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`tessera_radius_packets_dropped_total{reason="${reason}"}`));
      return Number(line?.split(" ")[1]);
    };

    test("a flood from one source is counted in full and audited once a minute", async () => {
      assert.equal(await metric("unknown-source"), 0, "the series exists before the first drop");
      s.clock.set(Date.parse("2027-01-01T00:00:00Z"));
      await Promise.all(
        Array.from({ length: 40 }, () => refuseUnknownClient(s.server.ctx, "192.0.2.50", "unknown-source")),
      );
      for (let i = 0; i < 10; i++)
        await refuseUnknownClient(s.server.ctx, "::ffff:192.0.2.50", "unknown-source");
      assert.equal(await metric("unknown-source"), 50);
      let events = await drops("radius drops: flood");
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(Number(events[0]?.result_code), ApiReturnCode.GetRadiusServerClientList);
      assert.equal(events[0]?.source_ip, "192.0.2.50");
      assert.equal(events[0]?.operation, "radius.drop.unknown-source");
      // Another reason is its own event; a known client's tenant is named.
      const { tenant } = await s.tenant();
      await refuseUnknownClient(s.server.ctx, "192.0.2.50", "wrong-secret", { tenantId: tenant.id });
      await refuseUnknownClient(s.server.ctx, "192.0.2.50", "wrong-secret", { tenantId: tenant.id });
      assert.equal(await metric("wrong-secret"), 2);
      events = await drops("radius drops: flood");
      assert.equal(events.length, 2);
      assert.equal(events[1]?.tenant_id, tenant.id);
      // An IPv6 source counts as its /64: rotating through a /64 buys nothing.
      for (let i = 1; i <= 5; i++)
        await refuseUnknownClient(s.server.ctx, `2001:db8:1:2::${i}`, "no-message-authenticator");
      assert.equal((await drops("radius drops: flood")).length, 3);
      s.clock.advance(60_000);
      await refuseUnknownClient(s.server.ctx, "192.0.2.50", "unknown-source");
      assert.equal((await drops("radius drops: flood")).length, 4, "one more after the minute");
    });

    test("a flood from many (spoofed) sources adds at most 60 events a minute", async () => {
      s.clock.set(Date.parse("2027-02-01T00:00:00Z"));
      const before = (await drops("radius drops: spoofed")).length;
      const sources = Array.from({ length: 300 }, (_, i) => `198.51.${i >> 8}.${i & 255}`);
      for (let round = 0; round < 3; round++)
        await Promise.all(
          sources
            .slice(round * 100, round * 100 + 100)
            .map((ip) => refuseUnknownClient(s.server.ctx, ip, "unknown-source")),
        );
      const added = (await drops("radius drops: spoofed")).length - before;
      assert.equal(added, 60);
      s.clock.advance(60_000);
      await refuseUnknownClient(s.server.ctx, "203.0.113.1", "unknown-source");
      assert.equal(
        (await drops("radius drops: spoofed")).length - before,
        61,
        "the budget comes back next minute",
      );
    });
  });
}
