import Provider from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { issuerPath, providerConfiguration } from "./provider-configuration.ts";
import { installFaultHandling } from "./provider-faults.ts";
import {
  ensureSigningKeys,
  openSigningKeys,
  providerJwks,
  readStoredKeys,
  type StoredKeys,
} from "./signing-keys.ts";

/**
 * One oidc-provider instance per tenant, made on the tenant's first SSO request and kept: an
 * issuer per tenant (`<publicUrl>/oidc/<tenant id>`) keeps tenants apart by construction (a token,
 * code or client of one tenant is simply unknown to another's issuer) and lets every standard
 * relying party verify `iss` without a custom tenant claim.
 *
 * Providers are rebuilt when the signing keys change (`tessera keys rotate-signing`, possibly in
 * another process: the stored keys are compared at most every KEY_CHECK_MS of the server clock)
 * and when a retired key's window ends (the JWKS then drops it).
 */
const KEY_CHECK_MS = 5000;

/** Hooks that other parts of SSO add to every provider when it is made (grant types, events). */
export type ProviderSetup = (provider: Provider, tenantId: string, ctx: ServerContext) => void;

/** The opened keys of one stored state, shared by every tenant's provider made from it. */
interface KeySet {
  readonly fingerprint: string;
  readonly jwks: { keys: object[] };
  /** When a retired key leaves the window: the set is rebuilt from then on. */
  readonly validUntil: number;
  checkedAt: number;
}

export class TenantProviders {
  readonly #ctx: ServerContext;
  readonly #setups: ProviderSetup[] = [];
  readonly #providers = new Map<string, { keys: KeySet; provider: Provider }>();
  #keys: Promise<KeySet> | undefined;
  #ensured = false;

  constructor(ctx: ServerContext) {
    this.#ctx = ctx;
  }

  /** Runs `setup` on every provider made from now on. */
  onCreate(setup: ProviderSetup): void {
    this.#setups.push(setup);
  }

  /** The tenant's provider; throws SSOCertificateError when the signing keys are not usable. */
  async providerFor(tenantId: string): Promise<Provider> {
    const keys = await this.signingKeys();
    const entry = this.#providers.get(tenantId);
    if (entry !== undefined && entry.keys === keys) return entry.provider;
    const provider = this.#make(tenantId, keys);
    this.#providers.set(tenantId, { keys, provider });
    return provider;
  }

  /**
   * The signing keys the providers use, checked against the database at most every KEY_CHECK_MS
   * (`fresh`: now, for readiness). Throws SSOCertificateError (signing-keys.ts) while they are
   * unusable; a later call tries again, so repairing them (a rotation) needs no restart.
   */
  async signingKeys(options: { fresh?: boolean } = {}): Promise<KeySet> {
    const now = this.#ctx.clock.now();
    const known = await this.#keys?.catch(() => undefined);
    if (
      known !== undefined &&
      now < known.validUntil &&
      !options.fresh &&
      now - known.checkedAt < KEY_CHECK_MS
    )
      return known;
    if (!this.#ensured) {
      // Once per process: a key that disappears later is a fault to report, not to paper over.
      await ensureSigningKeys(this.#ctx);
      this.#ensured = true;
    }
    const stored = await readStoredKeys(this.#ctx.database.db, now);
    if (known !== undefined && now < known.validUntil && stored.fingerprint === known.fingerprint) {
      known.checkedAt = now;
      return known;
    }
    const loading = Promise.resolve().then(() => this.#open(stored, now));
    this.#keys = loading;
    return loading;
  }

  /** Forgets every provider and key set (after a key rotation in this process). */
  reset(): void {
    this.#providers.clear();
    this.#keys = undefined;
  }

  #open(stored: StoredKeys, now: number): KeySet {
    const { jwks, validUntil } = providerJwks(openSigningKeys(this.#ctx, stored), now);
    return { fingerprint: stored.fingerprint, jwks, validUntil, checkedAt: now };
  }

  #make(tenantId: string, keys: KeySet): Provider {
    const ctx = this.#ctx;
    const issuer = new URL(issuerPath(tenantId), ctx.publicUrl).href;
    const provider = new Provider(issuer, providerConfiguration(ctx, tenantId, keys.jwks));
    // Koa would print errors to stderr; Tessera logs them itself (provider-faults.ts).
    provider.silent = true;
    // Koa would trust X-Forwarded-* from any peer; provider-routes.ts hands it only the values
    // Fastify resolved against the trusted-proxy list, so proxy mode reads exactly those.
    provider.proxy = true;
    installFaultHandling(provider, tenantId);
    for (const setup of this.#setups) setup(provider, tenantId, ctx);
    return provider;
  }
}
