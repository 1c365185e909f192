import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Schema } from "../../src/storage/schema.ts";
import { createApiKey } from "../../src/tenants/api-keys.ts";
import { insertUser } from "../../src/users/user-store.ts";
import { insertTestApp } from "./pat-test-app.ts";
import type { TestServer } from "./test-server.ts";

/**
 * Every paged collection GET, with a way to fill it for one tenant: rows are written straight to
 * the database (fast, and with many equal timestamps so the tiebreaker id is exercised), and the
 * order the list promises is computed here, independently of the server's query. Where a list has
 * a filter, a decoy parent gets rows too, which the filtered list must never show.
 */
export type Key = string | number;

export interface Filled {
  /** The list's path and filter, without limit and cursor. */
  readonly path: string;
  /** Every row the list must show, in its order. */
  readonly expected: readonly Key[];
  /** Rows of the same tenant the filter excludes. */
  readonly excluded: readonly Key[];
}

export interface Fill {
  readonly server: TestServer;
  readonly db: Kysely<Schema>;
  readonly tenantId: string;
  readonly apiKey: string;
  /** Row count and, per row, a small time offset (many rows share a millisecond). */
  readonly count: number;
  readonly offsets: readonly number[];
}

export interface PagedList {
  readonly name: string;
  readonly items: string;
  readonly idOf: (item: Record<string, unknown>) => Key;
  /** The page size used when `limit` is absent, and the largest accepted. */
  readonly defaultLimit: number;
  readonly maxLimit: number;
  /** A list whose size is fixed (the site catalogue): `fill` ignores `count`. */
  readonly fixedSize?: number;
  fill(f: Fill): Promise<Filled>;
}

/** Lowercase hex ids sort the same byte-wise (SQLite) and under any PostgreSQL collation. */
const hexId = () => randomBytes(12).toString("hex");
const at = (f: Fill, i: number) => f.server.clock.now() + (f.offsets[i % f.offsets.length] ?? 0);
const byTimeThenId = (a: { t: number; id: string }, b: { t: number; id: string }) =>
  a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const split = <T>(rows: T[], isExpected: (i: number) => boolean) => ({
  mine: rows.filter((_r, i) => isExpected(i)),
  other: rows.filter((_r, i) => !isExpected(i)),
});

/** Where rows are written: a fill, or a command-line test's own database. */
export type Owner = Pick<Fill, "db" | "tenantId">;

export async function user(f: Owner, now: number, name = `u${hexId()}`) {
  const row = await insertUser(f.db, f.tenantId, { username: name }, now);
  if (row === undefined) throw new Error(`user ${name} exists`);
  return row;
}

export async function credential(f: Owner, userId: string, t: number, id = hexId()) {
  await f.db
    .insertInto("link_credentials")
    .values({
      id,
      tenant_id: f.tenantId,
      user_id: userId,
      site_id: "sandbox-bank",
      login_hash: hexId(),
      fields_enc: "not-read-by-lists",
      status: 200,
      last_job_id: null,
      last_sync_at: null,
      synced_until: null,
      created_at: t,
      updated_at: t,
    })
    .execute();
  return id;
}

/** A finished job, so that no worker picks it up while a test reads it. */
export async function finishedJob(f: Owner, credentialId: string, t: number, id = hexId()) {
  await f.db
    .insertInto("link_jobs")
    .values({
      id,
      tenant_id: f.tenantId,
      credential_id: credentialId,
      site_id: "sandbox-bank",
      phase: "done",
      step: "login",
      status: 200,
      attempt: 1,
      run_after: t,
      lease_owner: null,
      lease_expires_at: null,
      lease_epoch: 1,
      active_credential_id: null,
      session_enc: null,
      question: null,
      question_expires_at: null,
      answer_enc: null,
      event_seq: 0,
      created_at: t,
      updated_at: t,
      finished_at: t,
    })
    .execute();
  return id;
}

async function account(f: Fill, credentialId: string, userId: string, t: number, id = hexId()) {
  await f.db
    .insertInto("link_accounts")
    .values({
      id,
      tenant_id: f.tenantId,
      credential_id: credentialId,
      user_id: userId,
      external_id: id,
      name: "Checking",
      kind: "checking",
      currency: "USD",
      balance: "1.00",
      number_mask: null,
      created_at: t,
      updated_at: t,
    })
    .execute();
  return id;
}

async function webhook(f: Fill, t: number, id = hexId()) {
  await f.db
    .insertInto("link_webhooks")
    .values({
      id,
      tenant_id: f.tenantId,
      url: "https://hooks.example.com/x",
      secret_enc: "not-read-by-lists",
      events: '["*"]',
      created_at: t,
    })
    .execute();
  return id;
}

/** `count` rows, every third one (at least one) under a decoy parent the filter excludes. */
const rowsFor = (f: Fill) =>
  Array.from({ length: f.count + Math.max(1, Math.floor(f.count / 3)) }, (_v, i) => i);
const isListed = (f: Fill) => (i: number) => i < f.count;

export const pagedLists: readonly PagedList[] = [
  {
    name: "users",
    items: "users",
    idOf: (u) => u.username as string,
    defaultLimit: 50,
    maxLimit: 200,
    async fill(f) {
      const rows = rowsFor(f).map((i) => `${i < f.count ? "p" : "q"}${hexId()}`);
      for (const name of rows) await user(f, f.server.clock.now(), name);
      const { mine, other } = split(rows, isListed(f));
      return { path: "/v1/users?query=p*", expected: mine.toSorted(), excluded: other };
    },
  },
  {
    name: "api-keys",
    items: "apiKeys",
    idOf: (k) => k.id as string,
    defaultLimit: 50,
    maxLimit: 200,
    async fill(f) {
      const own = /^tsk_([a-z0-9]{16})_/.exec(f.apiKey)?.[1] as string;
      const existing = await f.db
        .selectFrom("api_keys")
        .select("created_at")
        .where("id", "=", own)
        .executeTakeFirstOrThrow();
      const keys = [{ t: existing.created_at, id: own }];
      for (let i = 0; i < f.count - 1; i += 1) {
        const { record } = await createApiKey(f.db, f.tenantId, `k${i}`, ["auth"], at(f, i));
        keys.push({ t: record.createdAt, id: record.id });
      }
      return { path: "/v1/api-keys", expected: keys.sort(byTimeThenId).map((k) => k.id), excluded: [] };
    },
  },
  {
    name: "audit",
    items: "events",
    idOf: (e) => e.seq as number,
    defaultLimit: 100,
    maxLimit: 500,
    async fill(f) {
      // Real requests write real events; the filter leaves out every other operation.
      for (let i = 0; i < f.count; i += 1)
        await f.server.api("GET", "/v1/tenant", { apiKey: f.apiKey, scenario: "paging: audit rows" });
      await f.server.api("GET", "/v1/api-keys?limit=1", { apiKey: f.apiKey, scenario: "paging: audit rows" });
      const events = await f.db
        .selectFrom("audit_events")
        .select(["seq", "operation"])
        .where("tenant_id", "=", f.tenantId)
        .execute();
      const seqs = (operation: boolean) =>
        events
          .filter((e) => (e.operation === "GET /v1/tenant") === operation)
          .map((e) => Number(e.seq))
          .sort((a, b) => b - a);
      return {
        path: `/v1/audit?operation=${encodeURIComponent("GET /v1/tenant")}`,
        expected: seqs(true),
        excluded: seqs(false),
      };
    },
  },
  {
    name: "credentials",
    items: "credentials",
    idOf: (c) => c.id as string,
    defaultLimit: 100,
    maxLimit: 500,
    async fill(f) {
      const [listed, decoy] = [await user(f, f.server.clock.now()), await user(f, f.server.clock.now())];
      const rows = [];
      for (const i of rowsFor(f)) {
        const t = at(f, i);
        rows.push({ t, id: await credential(f, isListed(f)(i) ? listed.id : decoy.id, t) });
      }
      const { mine, other } = split(rows, isListed(f));
      return {
        path: `/v1/link/credentials?user=${listed.username}`,
        expected: mine.sort(byTimeThenId).map((r) => r.id),
        excluded: other.map((r) => r.id),
      };
    },
  },
  {
    name: "jobs",
    items: "jobs",
    idOf: (j) => j.id as string,
    defaultLimit: 50,
    maxLimit: 200,
    async fill(f) {
      const owner = await user(f, f.server.clock.now());
      const now = f.server.clock.now();
      const [listed, decoy] = [await credential(f, owner.id, now), await credential(f, owner.id, now)];
      const rows = [];
      for (const i of rowsFor(f)) {
        const t = at(f, i);
        const id = hexId();
        await finishedJob(f, isListed(f)(i) ? listed : decoy, t, id);
        rows.push({ t, id });
      }
      const { mine, other } = split(rows, isListed(f));
      return {
        path: `/v1/link/jobs?credential=${listed}`,
        expected: mine
          .sort(byTimeThenId)
          .reverse()
          .map((r) => r.id),
        excluded: other.map((r) => r.id),
      };
    },
  },
  {
    name: "accounts",
    items: "accounts",
    idOf: (a) => a.id as string,
    defaultLimit: 100,
    maxLimit: 500,
    async fill(f) {
      const owner = await user(f, f.server.clock.now());
      const now = f.server.clock.now();
      const [listed, decoy] = [await credential(f, owner.id, now), await credential(f, owner.id, now)];
      const rows = [];
      for (const i of rowsFor(f)) {
        const t = at(f, i);
        rows.push({ t, id: await account(f, isListed(f)(i) ? listed : decoy, owner.id, t) });
      }
      const { mine, other } = split(rows, isListed(f));
      return {
        path: `/v1/link/accounts?credential=${listed}`,
        expected: mine.sort(byTimeThenId).map((r) => r.id),
        excluded: other.map((r) => r.id),
      };
    },
  },
  {
    name: "transactions",
    items: "transactions",
    idOf: (t) => t.id as string,
    defaultLimit: 100,
    maxLimit: 500,
    async fill(f) {
      const owner = await user(f, f.server.clock.now());
      const now = f.server.clock.now();
      const cred = await credential(f, owner.id, now);
      const [listed, decoy] = [await account(f, cred, owner.id, now), await account(f, cred, owner.id, now)];
      const rows = [];
      for (const i of rowsFor(f)) {
        // A few dates only, so that many transactions share one and the id decides.
        const day = `2026-01-0${1 + (f.offsets[i % f.offsets.length] ?? 0)}`;
        const id = hexId();
        await f.db
          .insertInto("link_transactions")
          .values({
            id,
            tenant_id: f.tenantId,
            account_id: isListed(f)(i) ? listed : decoy,
            external_id: id,
            posted_on: day,
            amount: "-1.00",
            description: "coffee",
            memo: null,
            kind: null,
            content_hash: id,
            created_at: now,
            updated_at: now,
          })
          .execute();
        rows.push({ day, id });
      }
      const { mine, other } = split(rows, isListed(f));
      const newestFirst = (a: { day: string; id: string }, b: { day: string; id: string }) =>
        a.day !== b.day ? (a.day < b.day ? 1 : -1) : a.id < b.id ? 1 : -1;
      return {
        path: `/v1/link/transactions?account=${listed}`,
        expected: mine.sort(newestFirst).map((r) => r.id),
        excluded: other.map((r) => r.id),
      };
    },
  },
  {
    name: "webhooks",
    items: "webhooks",
    idOf: (w) => w.id as string,
    defaultLimit: 50,
    maxLimit: 200,
    async fill(f) {
      // Written directly, past link.maxWebhooksPerTenant (which only registration enforces), so
      // that the random counts can exceed a page at any limit.
      const rows = [];
      for (let i = 0; i < f.count; i += 1) {
        const t = at(f, i);
        rows.push({ t, id: await webhook(f, t) });
      }
      return { path: "/v1/link/webhooks", expected: rows.sort(byTimeThenId).map((r) => r.id), excluded: [] };
    },
  },
  {
    name: "deliveries",
    items: "deliveries",
    idOf: (d) => d.id as string,
    defaultLimit: 50,
    maxLimit: 200,
    async fill(f) {
      const now = f.server.clock.now();
      const [listed, decoy] = [await webhook(f, now), await webhook(f, now)];
      const rows = [];
      for (const i of rowsFor(f)) {
        const t = at(f, i);
        const id = hexId();
        // Delivered already, so that the delivery worker leaves them alone.
        await f.db
          .insertInto("link_webhook_deliveries")
          .values({
            id,
            tenant_id: f.tenantId,
            webhook_id: isListed(f)(i) ? listed : decoy,
            event_type: "job.finished",
            payload: "{}",
            state: "delivered",
            attempts: 1,
            next_attempt_at: t,
            lease_expires_at: null,
            last_status: 200,
            last_error: null,
            created_at: t,
            delivered_at: t,
          })
          .execute();
        rows.push({ t, id });
      }
      const { mine, other } = split(rows, isListed(f));
      return {
        path: `/v1/link/webhooks/${listed}/deliveries`,
        expected: mine
          .sort(byTimeThenId)
          .reverse()
          .map((r) => r.id),
        excluded: other.map((r) => r.id),
      };
    },
  },
  {
    name: "sites",
    items: "sites",
    idOf: (s) => s.id as string,
    defaultLimit: 50,
    maxLimit: 200,
    fixedSize: 3,
    async fill() {
      return {
        path: "/v1/link/sites",
        expected: ["sandbox-bank", "sandbox-bank-business", "sandbox-bank-ofx"],
        excluded: [],
      };
    },
  },
  {
    name: "personal-access-tokens",
    items: "personalAccessTokens",
    idOf: (p) => p.id as string,
    defaultLimit: 50,
    maxLimit: 200,
    async fill(f) {
      const now = f.server.clock.now();
      const [listed, decoy] = [await user(f, now), await user(f, now)];
      const { clientId } = await insertTestApp(f.server.server.ctx, f.tenantId, now);
      const rows = [];
      for (const i of rowsFor(f)) {
        const t = at(f, i);
        const id = hexId();
        await f.db
          .insertInto("personal_access_tokens")
          .values({
            id,
            tenant_id: f.tenantId,
            user_id: isListed(f)(i) ? listed.id : decoy.id,
            client_id: clientId,
            name: `t${i}`,
            token_hash: hexId(),
            created_at: t,
            expires_at: t + 86_400_000,
            revoked_at: null,
            last_used_at: null,
          })
          .execute();
        rows.push({ t, id });
      }
      const { mine, other } = split(rows, isListed(f));
      return {
        path: `/v1/users/${listed.username}/personal-access-tokens`,
        expected: mine
          .sort(byTimeThenId)
          .reverse()
          .map((r) => r.id),
        excluded: other.map((r) => r.id),
      };
    },
  },
];
