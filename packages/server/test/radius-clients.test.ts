import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { findRadiusClient } from "../src/radius/clients/find-radius-client.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** /v1/radius/clients and findRadiusClient: the client list the RADIUS listener trusts. */
const secret = "k8Vq2rT9xLm4pZ7wNc3bHs6d";

for (const backend of backends) {
  suite(`RADIUS clients (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const add = (apiKey: string, body: Record<string, unknown>, scenario = "radius clients: add") =>
      s.api("POST", "/v1/radius/clients", { apiKey, body, scenario });

    test("a client is added, listed page by page and deleted; its secret is never shown", async () => {
      const { apiKey } = await s.tenant();
      const created = [];
      for (const [i, address] of ["192.0.2.10", "2001:db8:0:0::/64", "198.51.100.0/24"].entries()) {
        const response = await add(apiKey, { name: `nas-${i}`, address, secret });
        assert.equal(response.status, 201, JSON.stringify(response.body));
        assert.ok(!JSON.stringify(response.body).includes(secret), "the secret is not echoed");
        s.clock.advance(1000);
        created.push(
          response.body.client as { id: string; address: string; requireMessageAuthenticator: boolean },
        );
      }
      assert.equal(created[1]?.address, "2001:db8::/64", "normalised");
      assert.equal(created[0]?.requireMessageAuthenticator, true, "BlastRADIUS: required by default");
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await s.api(
          "GET",
          `/v1/radius/clients?limit=2${cursor === null ? "" : `&cursor=${cursor}`}`,
          { apiKey, scenario: "radius clients: list" },
        );
        assert.equal(page.status, 200);
        assert.ok(!JSON.stringify(page.body).includes(secret));
        assert.ok(!JSON.stringify(page.body).includes("secret"), "no secret field at all");
        seen.push(...(page.body.clients as { id: string }[]).map((c) => c.id));
        cursor = page.body.nextCursor as string | null;
      } while (cursor !== null);
      assert.deepEqual(
        seen,
        created.map((c) => c.id),
      );
      const id = created[0]?.id as string;
      const deleted = await s.api("DELETE", `/v1/radius/clients/${id}`, {
        apiKey,
        scenario: "radius clients: delete",
      });
      assert.equal(deleted.status, 200);
      const again = await s.api("DELETE", `/v1/radius/clients/${id}`, {
        apiKey,
        scenario: "radius clients: delete",
      });
      assert.equal(again.status, 404);
      assert.equal(again.body.errorCode, TesseraApiCode.NotFound);
      assert.equal(
        await findRadiusClient(s.server.ctx, "192.0.2.10"),
        undefined,
        "deleted: its packets are dropped",
      );
    });

    test("the secret is sealed at rest and opened for the listener", async () => {
      const { apiKey, tenant } = await s.tenant();
      assert.equal((await add(apiKey, { name: "vpn", address: "203.0.113.7", secret })).status, 201);
      const row = await s.server.ctx.database.db
        .selectFrom("radius_clients")
        .selectAll()
        .where("tenant_id", "=", tenant.id)
        .executeTakeFirstOrThrow();
      assert.ok(!row.secret_enc.includes(secret) && row.secret_enc.startsWith("v1:"));
      const found = await findRadiusClient(s.server.ctx, "203.0.113.7");
      assert.equal(found?.tenantId, tenant.id);
      assert.equal(found?.secret.toString(), secret);
      assert.equal(found?.requireMessageAuthenticator, true);
      // Copied into another row, the ciphertext does not open (the row id is bound in).
      await s.server.ctx.database.db
        .updateTable("radius_clients")
        .set({ id: "other-id" })
        .where("id", "=", row.id)
        .execute();
      await assert.rejects(findRadiusClient(s.server.ctx, "203.0.113.7"));
      await s.server.ctx.database.db.deleteFrom("radius_clients").where("id", "=", "other-id").execute();
    });

    test("the most specific range wins; IPv4-mapped IPv6 sources match IPv4 clients", async () => {
      const { apiKey } = await s.tenant();
      for (const [name, address] of [
        ["wide", "10.20.0.0/16"],
        ["narrow", "10.20.30.0/24"],
        ["host", "10.20.30.40"],
        ["v6", "2001:db8:20::/48"],
        ["v6-host", "2001:db8:20::1"],
      ])
        assert.equal(
          (await add(apiKey, { name, address, secret, requireMessageAuthenticator: name !== "host" })).status,
          201,
        );
      const nameAt = async (source: string) => (await findRadiusClient(s.server.ctx, source))?.name;
      assert.equal(await nameAt("10.20.30.40"), "host");
      assert.equal((await findRadiusClient(s.server.ctx, "10.20.30.40"))?.requireMessageAuthenticator, false);
      assert.equal(await nameAt("::ffff:10.20.30.40"), "host");
      assert.equal(await nameAt("::FFFF:10.20.30.41"), "narrow");
      assert.equal(await nameAt("10.20.30.255"), "narrow");
      assert.equal(await nameAt("10.20.31.0"), "wide");
      assert.equal(await nameAt("10.20.255.255"), "wide");
      assert.equal(await nameAt("10.21.0.0"), undefined);
      assert.equal(await nameAt("10.19.255.255"), undefined);
      assert.equal(await nameAt("2001:db8:20::1"), "v6-host");
      assert.equal(await nameAt("2001:0db8:0020:0000:0000:0000:0000:0001"), "v6-host");
      assert.equal(await nameAt("2001:db8:20:ffff:ffff:ffff:ffff:ffff"), "v6");
      assert.equal(await nameAt("2001:db8:21::"), undefined);
      assert.equal(await nameAt("fe80::1%eth0"), undefined);
      assert.equal(await nameAt("not an address"), undefined);
      // An IPv6 address whose low 32 bits equal an IPv4 client is not that client.
      assert.equal(await nameAt("::10.20.30.40"), undefined);
    });

    test("a source identifies exactly one tenant: overlapping ranges of two tenants are refused", async () => {
      const a = await s.tenant();
      const b = await s.tenant();
      assert.equal((await add(a.apiKey, { name: "a", address: "172.16.0.0/16", secret })).status, 201);
      for (const address of ["172.16.5.5", "172.16.0.0/12", "::ffff:172.16.9.9", "172.16.0.0/16"]) {
        const refused = await add(b.apiKey, { name: "b", address, secret }, "radius clients: overlap");
        assert.equal(refused.status, 409, address);
        assert.equal(refused.body.errorCode, TesseraApiCode.RadiusClientAddressTaken);
        assert.equal(refused.body.errorMessage.includes(a.tenant.name), false, "whose range is not said");
      }
      const dup = await add(
        a.apiKey,
        { name: "again", address: "172.16.0.0/16", secret },
        "radius clients: overlap",
      );
      assert.equal(dup.status, 409);
      assert.equal(dup.body.errorCode, TesseraApiCode.RadiusClientAddressTaken);
      // Inside its own tenant a more specific range is fine: it wins for its addresses.
      assert.equal((await add(a.apiKey, { name: "inner", address: "172.16.1.0/24", secret })).status, 201);
      // Another tenant cannot delete or list it.
      const list = await s.api("GET", "/v1/radius/clients", {
        apiKey: b.apiKey,
        scenario: "radius clients: list",
      });
      assert.deepEqual(list.body.clients, []);
      const [first] = (
        await s.api("GET", "/v1/radius/clients", { apiKey: a.apiKey, scenario: "radius clients: list" })
      ).body.clients as { id: string }[];
      const foreign = await s.api("DELETE", `/v1/radius/clients/${first?.id}`, {
        apiKey: b.apiKey,
        scenario: "radius clients: delete",
      });
      assert.equal(foreign.status, 404);
      assert.equal((await findRadiusClient(s.server.ctx, "172.16.200.1"))?.tenantId, a.tenant.id);
    });

    test("a burst of two tenants adding the same range: exactly one gets it", async () => {
      const tenants = await Promise.all([s.tenant(), s.tenant(), s.tenant()]);
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          add(
            (tenants[i % 3] as { apiKey: string }).apiKey,
            // Each tenant asks for one range, all of them overlapping: one tenant gets it once.
            { name: `burst-${i}`, address: ["100.64.0.0/16", "100.64.1.1", "100.64.0.0/17"][i % 3], secret },
            "radius clients: burst",
          ),
        ),
      );
      const created = results.filter((r) => r.status === 201);
      assert.equal(created.length, 1, JSON.stringify(results.map((r) => r.body.errorCode)));
      for (const r of results.filter((x) => x.status !== 201))
        assert.equal(r.body.errorCode, TesseraApiCode.RadiusClientAddressTaken);
      const rows = await s.server.ctx.database.db
        .selectFrom("radius_clients")
        .select("tenant_id")
        .where("network_start", ">=", "00000000000000000000ffff64400000")
        .where("network_end", "<=", "00000000000000000000ffff6440ffff")
        .execute();
      assert.equal(rows.length, 1);
    });

    test("secrets shorter than 16 characters and malformed input are 400s naming the field", async () => {
      const { apiKey } = await s.tenant();
      const cases: [Record<string, unknown>, string][] = [
        [{ name: "n", address: "192.0.2.1", secret: "fifteen-chars15" }, "body.secret"],
        [{ name: "n", address: "192.0.2.1", secret: "x".repeat(129) }, "body.secret"],
        [{ name: "n", address: "192.0.2.1", secret: "has a space in it!!" }, "body.secret"],
        [{ name: "n", address: "192.0.2.1", secret: "nön-ascii-secret-value" }, "body.secret"],
        [{ name: "n", address: "192.0.2.1", secret: 2 ** 53 }, "body.secret"],
        [{ name: "n", address: "192.0.2.1" }, "body.secret"],
        [{ name: "", address: "192.0.2.1", secret }, "body.name"],
        [{ name: "x".repeat(101), address: "192.0.2.1", secret }, "body.name"],
        [
          { name: "n", address: "192.0.2.1", secret, requireMessageAuthenticator: "no" },
          "body.requireMessageAuthenticator",
        ],
        [{ name: "n", address: "192.0.2.1/8", secret }, "body.address"],
        [{ name: "n", address: "0.0.0.0/0", secret }, "body.address"],
        [{ name: "n", address: "::/0", secret }, "body.address"],
        [{ name: "n", address: "10.0.0.0/7", secret }, "body.address"],
        [{ name: "n", address: "192.0.2.1/33", secret }, "body.address"],
        [{ name: "n", address: "2001:db8::/129", secret }, "body.address"],
        [{ name: "n", address: "192.0.2.1/-1", secret }, "body.address"],
        [{ name: "n", address: "192.0.2.1/2.5", secret }, "body.address"],
        [{ name: "n", address: "192.0.2.1/24/1", secret }, "body.address"],
        [{ name: "n", address: "999.0.2.1", secret }, "body.address"],
        [{ name: "n", address: "fe80::1%eth0", secret }, "body.address"],
        [{ name: "n", address: "radius.example", secret }, "body.address"],
        [{ name: "n", address: "1".repeat(5000), secret }, "body.address"],
        [{ name: "n", address: 2 ** 31, secret }, "body.address"],
      ];
      for (const [body, field] of cases) {
        const response = await add(apiKey, body, "radius clients: malformed");
        assert.equal(
          response.status,
          400,
          `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(response.body)}`,
        );
        assert.equal(response.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.match(
          JSON.stringify(response.body),
          new RegExp(field.replace(".", "\\.")),
          JSON.stringify(body).slice(0, 80),
        );
      }
      const bad = await add(
        apiKey,
        { name: "n", address: "192.0.2.1/8", secret },
        "radius clients: malformed",
      );
      assert.match(bad.body.errorMessage, /192\.0\.0\.0\/8/, "says which network was meant");
      const page = await s.api("GET", "/v1/radius/clients?limit=0", {
        apiKey,
        scenario: "radius clients: malformed",
      });
      assert.equal(page.status, 400);
      const forged = await s.api("GET", "/v1/radius/clients?cursor=WyJ3ZWJob29rcyIsMSwiYSJd", {
        apiKey,
        scenario: "radius clients: malformed",
      });
      assert.equal(forged.status, 400);
      assert.deepEqual(
        (await s.api("GET", "/v1/radius/clients", { apiKey, scenario: "radius clients: list" })).body.clients,
        [],
      );
    });

    test("only an admin key manages clients", async () => {
      const { tenant } = await s.tenant();
      const { createApiKey } = await import("../src/tenants/api-keys.ts");
      const narrow = await createApiKey(
        s.server.ctx.database.db,
        tenant.id,
        "auth",
        ["auth", "tokens"],
        s.clock.now(),
      );
      const refused = await add(
        narrow.apiKey,
        { name: "n", address: "192.0.2.99", secret },
        "radius clients: scope",
      );
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
    });
  });
}
