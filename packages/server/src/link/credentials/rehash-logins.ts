import { sql } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { KeyService } from "../../secrets/key-service.ts";
import type { LinkCredentialsTable } from "../../storage/schema.ts";
import { credentialFields, openJson } from "../link-secrets.ts";
import { sandboxSites } from "../sites/sandbox-sites.ts";
import type { Site } from "../sites/site.ts";
import { findSite } from "../sites/site-directory.ts";
import { loginHash, loginHashPrefix } from "./login-lookup.ts";
import { siteLogin, withLoginField } from "./validate-fields.ts";

const BATCH = 200;

/**
 * Moves every credential's look-up hash to the active master key: rows of releases before the
 * keyed hash (plain SHA-256, which cannot be turned into the keyed one, so the login is decrypted
 * from the credential's fields) and rows hashed under an older key. Run at server start and by
 * `tessera keys rotate|reencrypt`. Bounded batches in id order; each row is swapped only if it
 * still holds the hash that was read (compare-and-set), so several processes may run it at once
 * and a row re-hashed meanwhile is left alone.
 *
 * A row whose login already has a row under the new hash (a duplicate, made while this row was
 * unconverted) is marked `<prefix>duplicate-<id>`: it keeps its data, which the user may delete,
 * but is no longer found by look-up, and no plain hash is left behind. A row that cannot be
 * converted (its fields do not decrypt) is logged by id, never by login, counted, and left: one
 * bad row must not keep the server from starting. Afterwards, plain hashes stay accepted by
 * look-up only while such a row is left (LinkRuntime.plainLoginHashes).
 */
export async function rehashLogins(
  ctx: ServerContext,
  keys: KeyService = ctx.keys,
): Promise<{ changed: number; failed: number }> {
  const { db } = ctx.database;
  const keyId = keys.activeKeyId;
  const prefix = loginHashPrefix(keyId);
  let after = "";
  let changed = 0;
  let failed = 0;
  for (;;) {
    const rows = await db
      .selectFrom("link_credentials")
      .select(["id", "tenant_id", "user_id", "site_id", "login_hash", "fields_enc"])
      .where(sql<boolean>`substr(login_hash, 1, ${prefix.length}) <> ${prefix}`)
      .where("id", ">", after)
      .orderBy("id")
      .limit(BATCH)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) {
      after = row.id;
      try {
        changed += await rehashRow(ctx, keys, prefix, row);
      } catch (error) {
        failed += 1;
        ctx.link.log.warn(
          { credentialId: row.id, reason: error instanceof Error ? error.name : "unknown" },
          "credential look-up hash not converted (left as it is; see docs/operations.md)",
        );
      }
    }
  }
  const plainLeft = await db
    .selectFrom("link_credentials")
    .select("id")
    .where("login_hash", "not like", "h1:%")
    .limit(1)
    .executeTakeFirst();
  ctx.link.plainLoginHashes = plainLeft !== undefined;
  return { changed, failed };
}

type Row = Pick<
  LinkCredentialsTable,
  "id" | "tenant_id" | "user_id" | "site_id" | "login_hash" | "fields_enc"
>;

/** Converts one row (or marks it a duplicate); 1 when it changed it, 0 when another process did. */
async function rehashRow(ctx: ServerContext, keys: KeyService, prefix: string, row: Row): Promise<number> {
  const { db } = ctx.database;
  const stored = openJson<Record<string, string>>(keys, credentialFields, row.id, row.fields_enc);
  const site = await siteDefinition(ctx, row.tenant_id, row.site_id);
  // A site no longer offered still gets a keyed hash, from the login under its usual names.
  const login =
    site === undefined
      ? (stored.login ?? stored.username ?? "")
      : siteLogin(site, withLoginField(site, stored));
  const hash = loginHash(keys, keys.activeKeyId, row.tenant_id, row.site_id, login);
  const taken = await db
    .selectFrom("link_credentials")
    .select("id")
    .where("tenant_id", "=", row.tenant_id)
    .where("user_id", "=", row.user_id)
    .where("site_id", "=", row.site_id)
    .where("login_hash", "=", hash)
    .executeTakeFirst();
  const result = await db
    .updateTable("link_credentials")
    .set({ login_hash: taken === undefined ? hash : `${prefix}duplicate-${row.id}` })
    .where("id", "=", row.id)
    .where("login_hash", "=", row.login_hash)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** The site's definition, also for a built-in site while no Sandbox Bank is reachable (the CLI). */
async function siteDefinition(ctx: ServerContext, tenantId: string, id: string): Promise<Site | undefined> {
  return (await findSite(ctx, tenantId, id)) ?? sandboxSites.find((site) => site.id === id);
}
