import { createHash } from "node:crypto";
import type { Adapter, AdapterPayload } from "oidc-provider";
import Provider, { errors } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { findAppRow } from "../apps/app-store.ts";
import { cachedClientMetadata } from "../apps/client-metadata-cache.ts";
import { countDevicePoll } from "../grants/device-polling.ts";
import { consumeModel, destroyModel, findModelBy, upsertModel } from "./sso-model-queries.ts";

/**
 * oidc-provider's storage for one tenant's issuer (sso_models, migration 015), on SQLite and
 * PostgreSQL alike. Every query names the tenant, so one tenant's issuer never finds another's
 * codes, tokens or clients.
 *
 * Ids are bearer secrets (an opaque token is its id), so rows are keyed by their SHA-256 and the
 * payload, which repeats the id, is sealed. Single-use artefacts (authorization codes, device
 * codes, rotated refresh tokens) are consumed by compare-and-set: of two server processes that
 * both found a code unconsumed, only one sets consumed_at; the other revokes everything the grant
 * issued (a second redemption means the code leaked) and answers invalid_grant.
 *
 * Expiry follows the server clock (ctx.clock), whatever the sweeper has or has not deleted yet: a
 * row past its time is handed to oidc-provider with an `exp` in the past, so that the provider
 * (which reads the system clock) treats it as expired: absent for a plain lookup, and the right
 * answer where it asks on purpose (`expired_token` for a device code, RFC 8628).
 */
export const hashOf = (value: string): string => createHash("sha256").update(value).digest("base64url");

/** sso_models.account_id: whose model it is, hashed like every other column that names one. */
export const accountKey = (accountId: string): string => hashOf(`account:${accountId}`);

/** An `exp` (seconds since 1970) every clock has passed. */
const EXPIRED = 1;

export type AdapterClass = new (model: string) => Adapter;

export function adapterFor(ctx: ServerContext, tenantId: string): AdapterClass {
  const { db } = ctx.database;
  const sealAs = (model: string, idHash: string) => `sso_models.payload_enc:${model}:${idHash}`;

  return class TenantAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const idHash = hashOf(id);
      await upsertModel(db)({
        model: this.#model,
        idHash,
        tenantId,
        payload_enc: ctx.keys.encrypt(JSON.stringify(payload), sealAs(this.#model, idHash)),
        grant_id: payload.grantId ?? null,
        client_id: payload.clientId ?? null,
        account_id: payload.accountId === undefined ? null : accountKey(payload.accountId),
        user_code_hash: payload.userCode === undefined ? null : hashOf(payload.userCode),
        uid_hash: payload.uid === undefined ? null : hashOf(payload.uid),
        expires_at: expiresAt(payload, expiresIn),
      });
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === "Client") return clientOf(id);
      const payload = await this.#findBy("id_hash", hashOf(id));
      // A device polling the token endpoint: too soon after its last counted poll is slow_down.
      if (
        this.#model === "DeviceCode" &&
        payload !== undefined &&
        payload.exp !== EXPIRED &&
        Provider.ctx?.oidc.route === "token" &&
        !(await countDevicePoll(ctx, tenantId, hashOf(id)))
      )
        throw new errors.SlowDown();
      return payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return this.#findBy("user_code_hash", hashOf(userCode));
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return this.#findBy("uid_hash", hashOf(uid));
    }

    async consume(id: string): Promise<void> {
      const idHash = hashOf(id);
      const key = { model: this.#model, idHash, tenantId };
      const claimed = await consumeModel(db)({ ...key, now: ctx.clock.now() });
      if (claimed.length > 0) return;
      // Someone else consumed it between oidc-provider's read and this write: a replay. The
      // Grant goes with its artefacts: the winner may still be saving its tokens, and a token
      // whose Grant is gone is refused at introspection, userinfo and refresh.
      const row = await db
        .selectFrom("sso_models")
        .select("grant_id")
        .where("model", "=", this.#model)
        .where("id_hash", "=", idHash)
        .where("tenant_id", "=", tenantId)
        .executeTakeFirst();
      if (row?.grant_id) {
        await revokeGrant(row.grant_id);
        // The same event oidc-provider emits when it revokes a grant itself (audited).
        const request = Provider.ctx;
        request?.oidc.provider.emit("grant.revoked", request, row.grant_id);
      }
      throw new errors.InvalidGrant("grant already used");
    }

    async destroy(id: string): Promise<void> {
      await destroyModel(db)({ model: this.#model, idHash: hashOf(id), tenantId });
    }

    /** Every model of the grant at once: one call revokes the family, the others find nothing. */
    async revokeByGrantId(grantId: string): Promise<void> {
      await db
        .deleteFrom("sso_models")
        .where("grant_id", "=", grantId)
        .where("tenant_id", "=", tenantId)
        .execute();
    }

    async #findBy(column: "id_hash" | "user_code_hash" | "uid_hash", value: string) {
      const [row] = await findModelBy[column](db)({ model: this.#model, value, tenantId });
      if (row === undefined) return undefined;
      const payload = JSON.parse(
        ctx.keys.decrypt(row.payload_enc, sealAs(this.#model, row.id_hash)).toString(),
      ) as AdapterPayload;
      if (row.expires_at !== null && Number(row.expires_at) <= ctx.clock.now()) payload.exp = EXPIRED;
      if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000);
      return payload;
    }
  };

  /** Every artefact of the grant and the Grant itself, in one statement. */
  async function revokeGrant(grantId: string): Promise<void> {
    await db
      .deleteFrom("sso_models")
      .where("tenant_id", "=", tenantId)
      .where((eb) =>
        eb.or([
          eb("grant_id", "=", grantId),
          eb.and([eb("model", "=", "Grant"), eb("id_hash", "=", hashOf(grantId))]),
        ]),
      )
      .execute();
  }

  /**
   * When the row expires by the server clock. oidc-provider re-saves a model with the time it
   * has left (exp - now): none left is expired, never eternal; only a model without `exp` and
   * without a lifetime keeps no expiry.
   */
  function expiresAt(payload: AdapterPayload, expiresIn: number): number | null {
    const ttl = Number.isFinite(expiresIn) ? Math.max(0, expiresIn) : 0;
    return ttl > 0 || payload.exp !== undefined ? ctx.clock.now() + ttl * 1000 : null;
  }

  async function clientOf(clientId: string): Promise<AdapterPayload | undefined> {
    const row = await findAppRow(ctx, tenantId, clientId);
    return row === undefined ? undefined : (cachedClientMetadata(ctx, row) as AdapterPayload);
  }
}
