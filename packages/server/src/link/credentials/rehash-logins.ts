import { sql } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import type { KeyService } from "../../secrets/key-service.ts";
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
 * and a row re-hashed meanwhile is left alone. Returns how many rows it changed.
 */
export async function rehashLogins(ctx: ServerContext, keys: KeyService = ctx.keys): Promise<number> {
  const { db } = ctx.database;
  const keyId = keys.activeKeyId;
  const prefix = loginHashPrefix(keyId);
  let after = "";
  let changed = 0;
  for (;;) {
    const rows = await db
      .selectFrom("link_credentials")
      .select(["id", "tenant_id", "user_id", "site_id", "login_hash", "fields_enc"])
      .where(sql<boolean>`substr(login_hash, 1, ${prefix.length}) <> ${prefix}`)
      .where("id", ">", after)
      .orderBy("id")
      .limit(BATCH)
      .execute();
    if (rows.length === 0) return changed;
    for (const row of rows) {
      after = row.id;
      const stored = openJson<Record<string, string>>(keys, credentialFields, row.id, row.fields_enc);
      const site = await siteDefinition(ctx, row.tenant_id, row.site_id);
      // A site no longer offered still gets a keyed hash, from the login under its usual names.
      const login =
        site === undefined
          ? (stored.login ?? stored.username ?? "")
          : siteLogin(site, withLoginField(site, stored));
      const hash = loginHash(keys, keyId, row.tenant_id, row.site_id, login);
      // A duplicate already under the new hash (made by a process of an earlier release while
      // this row was unconverted) keeps its row; this one stays as it is rather than collide.
      const taken = await db
        .selectFrom("link_credentials")
        .select("id")
        .where("tenant_id", "=", row.tenant_id)
        .where("user_id", "=", row.user_id)
        .where("site_id", "=", row.site_id)
        .where("login_hash", "=", hash)
        .executeTakeFirst();
      if (taken !== undefined) continue;
      const result = await db
        .updateTable("link_credentials")
        .set({ login_hash: hash })
        .where("id", "=", row.id)
        .where("login_hash", "=", row.login_hash)
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
  }
}

/** The site's definition, also for a built-in site while no Sandbox Bank is reachable (the CLI). */
async function siteDefinition(ctx: ServerContext, tenantId: string, id: string): Promise<Site | undefined> {
  return (await findSite(ctx, tenantId, id)) ?? sandboxSites.find((site) => site.id === id);
}
