import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { findByReference } from "../../../server/src/approvals/approval-store.ts";
import { findBySerial } from "../../../server/src/authenticators/authenticator-store.ts";
import { insertPendingRequest } from "../../../server/test/helpers/push-app.ts";
import type { TestServer } from "../../../server/test/helpers/test-server.ts";
import { freshStateDir, runAuthenticator } from "./run-authenticator.ts";

/** A tenant with user alice and a one-time enrolment link for her phone. */
export async function enrolmentLink(s: TestServer, username = "alice") {
  const { apiKey, tenant } = await s.tenant();
  await s.api("POST", "/v1/users", { apiKey, body: { username }, scenario: "authenticator: setup" });
  const link = await s.api("POST", `/v1/users/${username}/push-enrolments`, {
    apiKey,
    scenario: "authenticator: enrolment link",
  });
  assert.equal(link.status, 201, JSON.stringify(link.body));
  return { apiKey, tenant, url: String(link.body.enrolmentUrl) };
}

/** Alice's phone running tessera-authenticator, enrolled through the real CLI. */
export async function enrolledApp(s: TestServer, options: { algorithm?: "ed25519" | "p256" } = {}) {
  const { apiKey, tenant, url } = await enrolmentLink(s);
  const stateDir = freshStateDir();
  const enrolled = await runAuthenticator(
    [
      "--state-dir",
      stateDir,
      "enrol",
      url,
      ...(options.algorithm === undefined ? [] : ["--algorithm", options.algorithm]),
    ],
    "authenticator: enrol",
  );
  assert.equal(enrolled.status, 0, enrolled.stderr);
  const [file] = readdirSync(stateDir);
  assert.ok(file);
  const serial = file.replace(/\.json$/, "");
  const device = await findBySerial(s.server.ctx.database.db, serial);
  assert.ok(device);
  const db = s.server.ctx.database.db;
  return {
    apiKey,
    tenant,
    stateDir,
    serial,
    device,
    keyFile: join(stateDir, file),
    /** Runs the CLI with this state directory. */
    cli: (args: readonly string[], scenario: string) =>
      runAuthenticator(["--state-dir", stateDir, ...args], scenario),
    /** A pending request for the device, as the sign-in and approval parts insert them. */
    request: (kind: "sign-in" | "transaction", details?: Record<string, unknown>) =>
      insertPendingRequest(s.server.ctx, device, { kind, ...(details === undefined ? {} : { details }) }),
    row: async (reference: string) => {
      const row = await findByReference(db, tenant.id, reference);
      assert.ok(row);
      return row;
    },
  };
}
