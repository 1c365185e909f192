import assert from "node:assert/strict";
import { after, before, describe as suite, test } from "node:test";
import { ApiReturnCode } from "@tessera/codes";
import { encodeBase32 } from "../src/authenticators/oath/base32.ts";
import { apiRequest, assertOutcome } from "./helpers/api-client.ts";
import { oathtoolHotp } from "./helpers/oathtool.ts";
import { backends } from "./helpers/test-database.ts";
import { startTestServer, type TestServer } from "./helpers/test-server.ts";

const seed = Buffer.from("0123456789abcdef0123", "utf8");

/** A PSKC container of HOTP hardware tokens sharing one seed (its secret never leaves the import). */
function pskc(serials: string[]): string {
  const packages = serials.map(
    (serial) =>
      `<pskc:KeyPackage><pskc:DeviceInfo><pskc:SerialNo>${serial}</pskc:SerialNo></pskc:DeviceInfo><pskc:Key Id="${serial}" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"><pskc:AlgorithmParameters><pskc:ResponseFormat Length="6" Encoding="DECIMAL"/></pskc:AlgorithmParameters><pskc:Data><pskc:Secret><pskc:PlainValue>${seed.toString("base64")}</pskc:PlainValue></pskc:Secret><pskc:Counter><pskc:PlainValue>0</pskc:PlainValue></pskc:Counter></pskc:Data></pskc:Key></pskc:KeyPackage>`,
  );
  return `<?xml version="1.0"?><pskc:KeyContainer Version="1.0" xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc">${packages.join("")}</pskc:KeyContainer>`;
}

for (const backend of backends) {
  suite(`the token pool (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    const setup = async (usernames: string[]) => {
      const { apiKey } = await s.tenant();
      const call = (method: string, path: string, body: unknown, scenario: string) =>
        s.api(method, path, { apiKey, body, scenario });
      for (const username of usernames) await call("POST", "/v1/users", { username }, "pool: setup");
      return { apiKey, call };
    };

    test("an unassigned soft token is disabled and never handed to the next user", async () => {
      const { call } = await setup(["alice", "bob"]);
      const created = await call(
        "POST",
        "/v1/authenticators",
        { type: "hotp", username: "alice", secret: encodeBase32(seed) },
        "pool: setup",
      );
      const serial = (created.body.authenticator as { serial: string }).serial;
      const unassigned = await call(
        "POST",
        `/v1/authenticators/${serial}/unassign`,
        {},
        "pool: unassign soft",
      );
      assert.equal(unassigned.status, 200);
      assert.equal((unassigned.body.authenticator as { enabled: boolean }).enabled, false);
      const next = await call("POST", "/v1/authenticators/assign-next", { username: "bob" }, "pool: empty");
      assert.equal(next.body.errorCode, ApiReturnCode.NoDevicesAvailable);
      // Re-enabling a soft token an administrator took back does not put it in the pool either.
      await call("POST", `/v1/authenticators/${serial}/enable`, {}, "pool: enable soft");
      const again = await call("POST", "/v1/authenticators/assign-next", { username: "bob" }, "pool: empty");
      assert.equal(again.body.errorCode, ApiReturnCode.NoDevicesAvailable);
    });

    test("a hardware token whose seed never left the import goes back to the pool", async () => {
      const { call } = await setup(["carol", "dave"]);
      const serial = `HW-${backend}-1`;
      assert.equal(
        (await call("POST", "/v1/authenticators/import", { pskc: pskc([serial]) }, "pool: import")).body
          .imported,
        1,
      );
      const first = await call(
        "POST",
        "/v1/authenticators/assign-next",
        { username: "carol" },
        "pool: assign",
      );
      assert.equal((first.body.authenticator as { serial: string }).serial, serial);
      // A link issued while carol held the token must not re-seed it once it is dave's.
      const link = await call("POST", `/v1/authenticators/${serial}/provisioning-link`, {}, "pool: link");
      const back = await call("POST", `/v1/authenticators/${serial}/unassign`, {}, "pool: unassign hardware");
      assert.equal((back.body.authenticator as { enabled: boolean }).enabled, true);
      const next = await call("POST", "/v1/authenticators/assign-next", { username: "dave" }, "pool: assign");
      assert.equal(next.status, 200);
      assert.equal((next.body.authenticator as { serial: string }).serial, serial);
      const stale = await apiRequest(String(link.body.url).replace(/^https?:\/\/[^/]+/, s.url), {
        method: "POST",
        headers: { accept: "application/json" },
        scenario: "pool: withdrawn link",
      });
      assert.equal(stale.body.errorCode, ApiReturnCode.DeviceAlreadyProvisioned);
      const code = oathtoolHotp(seed.toString("hex"), 0);
      const valid = await call(
        "POST",
        "/v1/auth/otp",
        { username: "dave", otp: code },
        "pool: hardware code",
      );
      assert.equal(valid.body.errorCode, 0, "the hardware seed still works for the new holder");
    });

    test("a hardware token whose seed was revealed by a provisioning link is treated as soft", async () => {
      const { call } = await setup(["erin", "frank"]);
      const serial = `HW-${backend}-2`;
      await call("POST", "/v1/authenticators/import", { pskc: pskc([serial]) }, "pool: import");
      await call("POST", `/v1/authenticators/${serial}/assign`, { username: "erin" }, "pool: assign");
      const link = await call("POST", `/v1/authenticators/${serial}/provisioning-link`, {}, "pool: link");
      const revealed = await apiRequest(String(link.body.url).replace(/^https?:\/\/[^/]+/, s.url), {
        method: "POST",
        headers: { accept: "application/json" },
        scenario: "pool: reveal",
      });
      assertOutcome(revealed, ApiReturnCode.Provisioned);
      const back = await call("POST", `/v1/authenticators/${serial}/unassign`, {}, "pool: unassign revealed");
      assert.equal((back.body.authenticator as { enabled: boolean }).enabled, false);
      const next = await call("POST", "/v1/authenticators/assign-next", { username: "frank" }, "pool: empty");
      assert.equal(next.body.errorCode, ApiReturnCode.NoDevicesAvailable);
    });

    test("a burst of assign-next hands each pool token to one user only", async () => {
      const users = Array.from({ length: 8 }, (_, i) => `u${i}`);
      const { call } = await setup(users);
      const serials = [`HW-${backend}-b1`, `HW-${backend}-b2`, `HW-${backend}-b3`];
      await call("POST", "/v1/authenticators/import", { pskc: pskc(serials) }, "pool: import");
      const results = await Promise.all(
        users.map((username) =>
          call("POST", "/v1/authenticators/assign-next", { username }, "pool: burst assign"),
        ),
      );
      const handed = results
        .filter((r) => r.status === 200)
        .map((r) => (r.body.authenticator as { serial: string }).serial);
      assert.deepEqual([...handed].sort(), serials);
      assert.ok(
        results.every((r) => r.status === 200 || r.body.errorCode === ApiReturnCode.NoDevicesAvailable),
      );
    });
  });

  suite(`validation by serial alone checks the token's user (${backend})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer(backend);
    });
    after(() => s.close());

    /** A user with an HOTP token of a known seed; returns the serial and a validation by serial. */
    const withToken = async (apiKey: string, username: string | undefined) => {
      const call = (method: string, path: string, body: unknown, scenario: string) =>
        s.api(method, path, { apiKey, body, scenario });
      if (username !== undefined) await call("POST", "/v1/users", { username }, "serial only: setup");
      const created = await call(
        "POST",
        "/v1/authenticators",
        { type: "hotp", secret: encodeBase32(seed), ...(username === undefined ? {} : { username }) },
        "serial only: setup",
      );
      const serial = (created.body.authenticator as { serial: string }).serial;
      const validate = (scenario: string, key = apiKey) =>
        s.api("POST", "/v1/auth/otp", {
          apiKey: key,
          body: { serial, otp: oathtoolHotp(seed.toString("hex"), 0) },
          scenario,
        });
      return { call, serial, validate };
    };

    test("a disabled user's token is refused with PartnerUserLoginDisabled", async () => {
      const { apiKey } = await s.tenant();
      const { call, validate } = await withToken(apiKey, "gina");
      await call("PATCH", "/v1/users/gina", { disabled: true }, "serial only: disable user");
      assert.equal(
        (await validate("serial only: disabled user")).body.errorCode,
        ApiReturnCode.PartnerUserLoginDisabled,
      );
    });

    test("an expired user's token is refused with AccountExpired", async () => {
      const { apiKey } = await s.tenant();
      const { call, validate } = await withToken(apiKey, "hank");
      await call("PATCH", "/v1/users/hank", { expiresAt: s.clock.now() + 1000 }, "serial only: expiry");
      s.clock.advance(1000);
      assert.equal(
        (await validate("serial only: expired user")).body.errorCode,
        ApiReturnCode.AccountExpired,
      );
    });

    test("an unassigned pool token is refused with DeviceInvalid", async () => {
      const { apiKey } = await s.tenant();
      const { validate } = await withToken(apiKey, undefined);
      const refused = await validate("serial only: unassigned token");
      assert.equal(refused.body.errorCode, ApiReturnCode.DeviceInvalid);
    });

    test("another tenant's serial is DeviceNotFound, and a good token still validates", async () => {
      const { apiKey } = await s.tenant();
      const other = await s.tenant();
      const { validate } = await withToken(apiKey, "ivan");
      assert.equal(
        (await validate("serial only: other tenant", other.apiKey)).body.errorCode,
        ApiReturnCode.DeviceNotFound,
      );
      assert.equal((await validate("serial only: accepted")).body.errorCode, 0);
    });
  });
}
