import Provider from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { issuerPath, keepRetiredSigningKeysMs, providerConfiguration } from "./provider-configuration.ts";
import { ensureSigningKeys, loadSigningKeys, providerJwks } from "./signing-keys.ts";

/**
 * One oidc-provider instance per tenant, made on the tenant's first SSO request and kept: an
 * issuer per tenant (`<publicUrl>/oidc/<tenant id>`) keeps tenants apart by construction (a token,
 * code or client of one tenant is simply unknown to another's issuer) and lets every standard
 * relying party verify `iss` without a custom tenant claim.
 *
 * A provider is rebuilt when the signing keys change (`tessera keys rotate-signing`, possibly in
 * another process): the stored key ids are compared at most every KEY_CHECK_MS.
 */
const KEY_CHECK_MS = 5000;

/** Hooks that other parts of SSO add to every provider when it is made (grant types, events). */
export type ProviderSetup = (provider: Provider, tenantId: string, ctx: ServerContext) => void;

interface Entry {
  readonly provider: Provider;
  readonly keyIds: string;
  checkedAt: number;
}

export class TenantProviders {
  readonly #ctx: ServerContext;
  readonly #setups: ProviderSetup[] = [];
  readonly #entries = new Map<string, Promise<Entry>>();

  constructor(ctx: ServerContext) {
    this.#ctx = ctx;
  }

  /** Runs `setup` on every provider made from now on. */
  onCreate(setup: ProviderSetup): void {
    this.#setups.push(setup);
  }

  /** The tenant's provider; throws what loading the signing keys threw (SSOCertificateError). */
  async providerFor(tenantId: string): Promise<Provider> {
    const cached = this.#entries.get(tenantId);
    if (cached !== undefined) {
      const entry = await cached.catch(() => undefined);
      if (entry !== undefined) {
        if (Date.now() - entry.checkedAt < KEY_CHECK_MS) return entry.provider;
        entry.checkedAt = Date.now();
        if ((await this.#storedKeyIds()) === entry.keyIds) return entry.provider;
      }
    }
    const made = this.#make(tenantId);
    this.#entries.set(tenantId, made);
    made.catch(() => this.#entries.delete(tenantId));
    return (await made).provider;
  }

  /** Forgets every provider (after a key rotation in this process). */
  reset(): void {
    this.#entries.clear();
  }

  async #storedKeyIds(): Promise<string> {
    const rows = await this.#ctx.database.db
      .selectFrom("sso_signing_keys")
      .select(["kid", "retired_at"])
      .orderBy("kid")
      .execute();
    return rows.map((row) => `${row.kid}:${row.retired_at ?? ""}`).join(",");
  }

  async #make(tenantId: string): Promise<Entry> {
    const ctx = this.#ctx;
    await ensureSigningKeys(ctx);
    const keyIds = await this.#storedKeyIds();
    const jwks = providerJwks(await loadSigningKeys(ctx), ctx.clock.now(), keepRetiredSigningKeysMs);
    const issuer = new URL(issuerPath(tenantId), ctx.publicUrl).href;
    const provider = new Provider(issuer, providerConfiguration(ctx, tenantId, jwks));
    // Koa would print errors to stderr; Tessera logs them itself (the `server_error` event).
    provider.silent = true;
    provider.proxy = ctx.config.trustedProxies !== "";
    for (const setup of this.#setups) setup(provider, tenantId, ctx);
    return { provider, keyIds, checkedAt: Date.now() };
  }
}
