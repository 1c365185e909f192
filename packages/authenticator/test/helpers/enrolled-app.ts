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
    /** A sign-in push through POST /v1/auth/push, as the sign-in screen starts it. */
    signIn: async () => {
      const created = await s.api("POST", "/v1/auth/push", {
        apiKey,
        body: { username: "alice", context: { location: "Berlin, DE", reason: "sign-in to the web shop" } },
        scenario: "authenticator: sign-in push",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return {
        id: String(created.body.id),
        reference: String(created.body.reference),
        numberToMatch: Number(created.body.numberToMatch),
      };
    },
    /** GET /v1/auth/push/<id>: what the sign-in screen polls. */
    signInStatus: async (id: string) => {
      const state = await s.api("GET", `/v1/auth/push/${id}`, {
        apiKey,
        scenario: "authenticator: sign-in state",
      });
      assert.equal(state.status, 200, JSON.stringify(state.body));
      return String(state.body.status);
    },
    /** A transaction through POST /v1/approvals. */
    transaction: async (details: Record<string, unknown>) => {
      const created = await s.api("POST", "/v1/approvals", {
        apiKey,
        body: { username: "alice", details },
        scenario: "authenticator: transaction",
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return String(created.body.reference);
    },
    /** GET /v1/approvals/<reference>. */
    approval: async (reference: string) => {
      const view = await s.api("GET", `/v1/approvals/${reference}`, {
        apiKey,
        scenario: "authenticator: approval state",
      });
      assert.equal(view.status, 200, JSON.stringify(view.body));
      return view.body;
    },
    row: async (reference: string) => {
      const row = await findByReference(db, tenant.id, reference);
      assert.ok(row);
      return row;
    },
  };
}
