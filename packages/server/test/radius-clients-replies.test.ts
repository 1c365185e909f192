import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe as suite, test } from "node:test";
import { TesseraApiCode } from "@tessera/codes";
import { replyAttributesFor } from "../src/radius/reply-attributes.ts";
import { findTenant } from "../src/tenants/tenant-store.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

/** The tenant setting radiusReplyAttributes: checked against the RADIUS dictionary when set. */
interface RadiusCodec {
  encode(args: Record<string, unknown>): Buffer;
  decode(args: { packet: Buffer; secret: string }): {
    code: string;
    attributes: Record<string, unknown>;
    raw_attributes: [number, Buffer][];
  };
}
const radius = createRequire(import.meta.url)("radius") as RadiusCodec;

const attributes = [
  { name: "Class", value: "vpn-users" },
  { name: "Session-Timeout", value: 28800 },
  { name: "Filter-Id", value: "staff-acl" },
  { name: "Service-Type", value: "Framed-User" },
  { name: "Framed-IP-Address", value: "10.8.0.2" },
  { name: "Vendor-Specific", vendorId: 9, vendorType: 1, value: "shell:priv-lvl=15" },
];

for (const backend of backends) {
  suite(`RADIUS reply attributes (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());
    const patch = (apiKey: string, list: unknown, scenario = "radius replies: set") =>
      s.api("PATCH", "/v1/tenant", { apiKey, body: { radiusReplyAttributes: list }, scenario });

    test("a list of dictionary attributes is stored, shown and encoded into an Access-Accept", async () => {
      const { apiKey, tenant } = await s.tenant();
      const shownBefore = await s.api("GET", "/v1/tenant", { apiKey, scenario: "radius replies: read" });
      assert.deepEqual(
        shownBefore.body.tenant &&
          (shownBefore.body.tenant as { radiusReplyAttributes: unknown }).radiusReplyAttributes,
        [],
      );
      const set = await patch(apiKey, attributes);
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(
        (set.body.tenant as { radiusReplyAttributes: unknown }).radiusReplyAttributes,
        attributes,
      );
      const stored = await findTenant(s.server.ctx.database.db, tenant.id);
      const encoded = await replyAttributesFor(s.server.ctx, stored as NonNullable<typeof stored>);
      const packet = radius.encode({
        code: "Access-Accept",
        identifier: 7,
        secret: "k8Vq2rT9xLm4pZ7wNc3bHs6d",
        attributes: encoded,
      });
      const decoded = radius.decode({ packet, secret: "k8Vq2rT9xLm4pZ7wNc3bHs6d" });
      assert.equal(decoded.code, "Access-Accept");
      assert.equal(String(decoded.attributes.Class), "vpn-users");
      assert.equal(decoded.attributes["Session-Timeout"], 28800);
      assert.equal(decoded.attributes["Filter-Id"], "staff-acl");
      assert.equal(decoded.attributes["Service-Type"], "Framed-User");
      assert.equal(decoded.attributes["Framed-IP-Address"], "10.8.0.2");
      const vsa = decoded.raw_attributes.find(([type]) => type === 26)?.[1] as Buffer;
      assert.equal(vsa.readUInt32BE(0), 9, "vendor id");
      assert.equal(vsa[4], 1, "vendor type");
      assert.equal(vsa.subarray(6).toString(), "shell:priv-lvl=15");
      assert.equal((await patch(apiKey, [])).status, 200);
      const cleared = await findTenant(s.server.ctx.database.db, tenant.id);
      assert.deepEqual(await replyAttributesFor(s.server.ctx, cleared as NonNullable<typeof cleared>), []);
    });

    test("unknown attributes, wrong values and the listener's own attributes are 400s naming the field", async () => {
      const { apiKey, tenant } = await s.tenant();
      assert.equal((await patch(apiKey, [{ name: "Session-Timeout", value: 60 }])).status, 200);
      const cases: [unknown, string][] = [
        [
          [
            { name: "Session-Timeout", value: 1 },
            { name: "Sesion-Timeout", value: 60 },
          ],
          "body.radiusReplyAttributes.1.name",
        ],
        [[{ name: "session-timeout", value: 60 }], "body.radiusReplyAttributes.0.name"],
        [[{ name: "27", value: 60 }], "body.radiusReplyAttributes.0.name"],
        [[{ name: "__proto__", value: 60 }], "body.radiusReplyAttributes.0.name"],
        [[{ name: "Reply-Message", value: "Welcome, admin" }], "body.radiusReplyAttributes.0.name"],
        [[{ name: "State", value: "x" }], "body.radiusReplyAttributes.0.name"],
        [[{ name: "Message-Authenticator", value: "x" }], "body.radiusReplyAttributes.0.name"],
        [[{ name: "User-Password", value: "x" }], "body.radiusReplyAttributes.0.name"],
        [[{ name: "Tunnel-Password", value: "x" }], "body.radiusReplyAttributes.0.name"],
        [[{ name: "Session-Timeout", value: "soon" }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Session-Timeout", value: -1 }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Session-Timeout", value: 2 ** 32 }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Session-Timeout", value: 2 ** 53 }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Session-Timeout", value: 1.5 }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Filter-Id", value: 5 }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Filter-Id", value: "" }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Filter-Id", value: "é".repeat(200) }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Filter-Id", value: "x".repeat(254) }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Framed-IP-Address", value: "10.8.0.256" }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Framed-IP-Address", value: "2001:db8::1" }], "body.radiusReplyAttributes.0.value"],
        [[{ name: "Vendor-Specific", value: "x" }], "body.radiusReplyAttributes.0.vendorId"],
        [
          [{ name: "Vendor-Specific", vendorId: 0, vendorType: 1, value: "x" }],
          "body.radiusReplyAttributes.0.vendorId",
        ],
        [
          [{ name: "Vendor-Specific", vendorId: 2 ** 24, vendorType: 1, value: "x" }],
          "body.radiusReplyAttributes.0.vendorId",
        ],
        [
          [{ name: "Vendor-Specific", vendorId: 9, vendorType: 256, value: "x" }],
          "body.radiusReplyAttributes.0.vendorType",
        ],
        [
          [{ name: "Vendor-Specific", vendorId: 9, vendorType: 1, value: "x".repeat(248) }],
          "body.radiusReplyAttributes.0.value",
        ],
        [[{ name: "Class", vendorId: 9, value: "x" }], "body.radiusReplyAttributes.0.vendorId"],
        [[{ name: "Class", value: "x", extra: 1 }], "body.radiusReplyAttributes.0"],
        [[{ value: "x" }], "body.radiusReplyAttributes.0"],
        [Array.from({ length: 33 }, () => ({ name: "Class", value: "x" })), "body.radiusReplyAttributes"],
        [
          Array.from({ length: 10 }, () => ({ name: "Class", value: "x".repeat(250) })),
          "body.radiusReplyAttributes",
        ],
        ["Class", "body.radiusReplyAttributes"],
      ];
      for (const [list, field] of cases) {
        const response = await patch(apiKey, list, "radius replies: refused");
        const shown = JSON.stringify(list).slice(0, 100);
        assert.equal(response.status, 400, `${shown}: ${JSON.stringify(response.body)}`);
        assert.equal(response.body.errorCode, TesseraApiCode.MalformedRequest);
        assert.ok(
          JSON.stringify(response.body).includes(field),
          `${shown} names ${field}: ${JSON.stringify(response.body)}`,
        );
      }
      const unchanged = await findTenant(s.server.ctx.database.db, tenant.id);
      assert.deepEqual(unchanged?.radiusReplyAttributes, [{ name: "Session-Timeout", value: 60 }]);
    });

    test("a stored list that no longer checks fails closed instead of an Accept without it", async () => {
      const { tenant } = await s.tenant();
      await s.server.ctx.database.db
        .updateTable("tenants")
        .set({ radius_reply_attributes: JSON.stringify([{ name: "Reply-Message", value: "hello" }]) })
        .where("id", "=", tenant.id)
        .execute();
      const stored = await findTenant(s.server.ctx.database.db, tenant.id);
      await assert.rejects(
        replyAttributesFor(s.server.ctx, stored as NonNullable<typeof stored>),
        /tenant\.radiusReplyAttributes\.0\.name/,
      );
    });
  });
}
