import type { JsonWebKey } from "node:crypto";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import type { ServerContext } from "../../app/server-context.ts";

/**
 * The keys every tenant's issuer signs ID tokens and JWT access tokens with: one ES256 and one
 * RS256 key in use, plus retired ones that the JWKS keeps publishing until the tokens they signed
 * have expired. Private keys are sealed by the key service (the master key never enters the
 * database). One set for the installation, like the audit signing key: issuers differ per tenant,
 * keys need not, and a rotation then covers every tenant at once.
 */
export const signingAlgorithms = ["ES256", "RS256"] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

export interface SigningKeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly privateJwk: JsonWebKey;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

const sealedAs = (kid: string) => `sso_signing_keys.private_jwk_enc:${kid}`;

/** A new private key in JWK form, with its kid and alg. */
export function generateSigningKey(alg: SigningAlgorithm): { kid: string; jwk: JsonWebKey } {
  const { privateKey } =
    alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = `${alg.toLowerCase()}-${randomUUID()}`;
  return { kid, jwk: { ...privateKey.export({ format: "jwk" }), kid, alg, use: "sig" } };
}

/** Stores a new key for `alg`; the current key of that alg, if any, is retired as of `now`. */
export async function addSigningKey(ctx: ServerContext, alg: SigningAlgorithm, now: number): Promise<string> {
  const { kid, jwk } = generateSigningKey(alg);
  await ctx.database.db.transaction().execute(async (trx) => {
    await trx
      .updateTable("sso_signing_keys")
      .set({ retired_at: now })
      .where("alg", "=", alg)
      .where("retired_at", "is", null)
      .execute();
    await trx
      .insertInto("sso_signing_keys")
      .values({
        kid,
        alg,
        private_jwk_enc: ctx.keys.encrypt(JSON.stringify(jwk), sealedAs(kid)),
        created_at: now,
        retired_at: null,
      })
      .execute();
  });
  return kid;
}

/**
 * Every stored key, newest first, opened. Throws (MasterKeyError, SyntaxError) when a key does
 * not open: the caller reports SSOCertificateError instead of signing with what is left.
 */
export async function loadSigningKeys(ctx: ServerContext): Promise<SigningKeyRow[]> {
  const rows = await ctx.database.db
    .selectFrom("sso_signing_keys")
    .selectAll()
    .orderBy("created_at", "desc")
    .orderBy("kid")
    .execute();
  return rows.map((row) => ({
    kid: row.kid,
    alg: row.alg,
    privateJwk: JSON.parse(ctx.keys.decrypt(row.private_jwk_enc, sealedAs(row.kid)).toString()) as JsonWebKey,
    createdAt: Number(row.created_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
  }));
}

/** Creates the first ES256 and RS256 keys of an installation that has none of an algorithm. */
export async function ensureSigningKeys(ctx: ServerContext): Promise<void> {
  const current = await ctx.database.db
    .selectFrom("sso_signing_keys")
    .select("alg")
    .where("retired_at", "is", null)
    .execute();
  for (const alg of signingAlgorithms) {
    if (!current.some((row) => row.alg === alg)) await addSigningKey(ctx, alg, ctx.clock.now());
  }
}

/**
 * The JWKS a provider signs with: current keys first (oidc-provider signs with the first key of
 * the wanted alg), ES256 before RS256, then retired keys still within `keepRetiredMs`.
 */
export function providerJwks(keys: readonly SigningKeyRow[], now: number, keepRetiredMs: number) {
  const current = keys.filter((k) => k.retiredAt === null);
  const retired = keys.filter((k) => k.retiredAt !== null && k.retiredAt + keepRetiredMs > now);
  const byAlg = (a: SigningKeyRow, b: SigningKeyRow) => a.alg.localeCompare(b.alg);
  return { keys: [...current.sort(byAlg), ...retired].map((k) => k.privateJwk) };
}
