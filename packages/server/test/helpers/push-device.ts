import assert from "node:assert/strict";
import type { AuthenticatorRow } from "../../src/authenticators/authenticator-store.ts";
import { findBySerial } from "../../src/authenticators/authenticator-store.ts";
import { TestPushApp } from "./push-app.ts";
import type { TestServer } from "./test-server.ts";

/** A tenant with user `username` whose phone app (a TestPushApp) has enrolled; the device row too. */
export async function enrolledDevice(
  s: TestServer,
  options: { username?: string; algorithm?: "ed25519" | "p256"; extra?: Record<string, unknown> } = {},
): Promise<{ apiKey: string; phone: TestPushApp; device: AuthenticatorRow }> {
  const username = options.username ?? "alice";
  const { apiKey } = await s.tenant();
  await s.api("POST", "/v1/users", { apiKey, body: { username }, scenario: "push: setup" });
  const link = await s.api("POST", `/v1/users/${username}/push-enrolments`, {
    apiKey,
    scenario: "push: enrolment link",
  });
  const phone = new TestPushApp(s.url, () => s.clock.now(), options.algorithm);
  const enrolled = await phone.enrol(String(link.body.enrolmentUrl), "push: enrol", options.extra);
  assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
  const device = await findBySerial(s.server.ctx.database.db, phone.serial);
  assert.ok(device !== undefined);
  return { apiKey, phone, device };
}
