import type { JsonWebKey } from "node:crypto";
import { createPrivateKey, generateKeyPairSync, randomUUID } from "node:crypto";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { Kysely } from "kysely";
import type { ServerContext } from "../../app/server-context.ts";
import { isUniqueViolation } from "../../storage/database-failure.ts";
import type { Schema } from "../../storage/schema.ts";
import { keepRetiredSigningKeysMs } from "./provider-configuration.ts";

/**
 * The keys every tenant's issuer signs ID tokens and JWT access tokens with: one ES256 and one
 * RS256 key in use, plus retired ones that the JWKS keeps publishing until the tokens they signed
 * have expired. Private keys are sealed by the key service (the master key never enters the
 * database). One set for the installation, like the audit signing key: issuers differ per tenant,
 * keys need not, and a rotation then covers every tenant at once.
 *
 * At most one current key per algorithm is a database rule (migration 022), so concurrent first
 * starts and concurrent rotations cannot leave two.
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

/** The associated data of a sealed key (encrypted-columns.ts: table.column:kid). */
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

function keyRow(ctx: ServerContext, alg: SigningAlgorithm, now: number) {
  const { kid, jwk } = generateSigningKey(alg);
  return {
    kid,
    alg,
    private_jwk_enc: ctx.keys.encrypt(JSON.stringify(jwk), sealedAs(kid)),
    created_at: now,
    retired_at: null,
  };
}

/**
 * Creates the first ES256 and RS256 keys of an installation that has none of an algorithm. Of two
 * processes doing this at once, the second insert hits the one-current-key index and does nothing.
 */
export async function ensureSigningKeys(ctx: ServerContext): Promise<void> {
  const current = await ctx.database.db
    .selectFrom("sso_signing_keys")
    .select("alg")
    .where("retired_at", "is", null)
    .execute();
  for (const alg of signingAlgorithms) {
    if (current.some((row) => row.alg === alg)) continue;
    await ctx.database.db
      .insertInto("sso_signing_keys")
      .values(keyRow(ctx, alg, ctx.clock.now()))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export interface Rotation {
  readonly current: readonly string[];
  readonly retired: readonly string[];
  readonly dropped: number;
}

/**
 * `tessera keys rotate-signing`: new ES256 and RS256 keys become current, the current ones are
 * retired as of now (the JWKS keeps them for keepRetiredSigningKeysMs), and keys retired longer
 * ago than that are deleted: nothing they signed is still valid. One transaction; a concurrent
 * rotation that lost the race on the one-current-key index is retried on top of the winner's.
 */
export async function rotateSigningKeys(ctx: ServerContext): Promise<Rotation> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await ctx.database.db.transaction().execute((trx) => rotateIn(trx, ctx));
    } catch (error) {
      // Each round some rotation commits, so a handful of attempts covers any realistic race.
      if (!isUniqueViolation(error) || attempt >= 10) throw error;
    }
  }
}

async function rotateIn(trx: Kysely<Schema>, ctx: ServerContext): Promise<Rotation> {
  const now = ctx.clock.now();
  const retired = await trx
    .updateTable("sso_signing_keys")
    .set({ retired_at: now })
    .where("retired_at", "is", null)
    .returning("kid")
    .execute();
  const rows = signingAlgorithms.map((alg) => keyRow(ctx, alg, now));
  await trx.insertInto("sso_signing_keys").values(rows).execute();
  const dropped = await trx
    .deleteFrom("sso_signing_keys")
    .where("retired_at", "<=", now - keepRetiredSigningKeysMs)
    .executeTakeFirst();
  return {
    current: rows.map((row) => row.kid),
    retired: retired.map((row) => row.kid),
    dropped: Number(dropped.numDeletedRows),
  };
}

/** The stored rows a JWKS is built from, as read: compared to tell whether anything changed. */
export interface StoredKeys {
  readonly fingerprint: string;
  readonly rows: readonly {
    kid: string;
    alg: string;
    private_jwk_enc: string;
    created_at: number;
    retired_at: number | null;
  }[];
}

/** Current keys and retired ones still within the window at `now`, newest first. */
export async function readStoredKeys(db: Kysely<Schema>, now: number): Promise<StoredKeys> {
  const rows = await db
    .selectFrom("sso_signing_keys")
    .selectAll()
    .where((eb) =>
      eb.or([eb("retired_at", "is", null), eb("retired_at", ">", now - keepRetiredSigningKeysMs)]),
    )
    .orderBy("created_at", "desc")
    .orderBy("kid")
    .execute();
  const fingerprint = rows.map((r) => `${r.kid}:${r.retired_at ?? ""}:${r.private_jwk_enc}`).join(",");
  return {
    fingerprint,
    rows: rows.map((r) => ({
      ...r,
      created_at: Number(r.created_at),
      retired_at: r.retired_at === null ? null : Number(r.retired_at),
    })),
  };
}

const unusable = (message: string, cause?: unknown) =>
  new TesseraError(ApiReturnCode.SSOCertificateError, {
    message,
    ...(cause === undefined ? {} : { cause }),
  });

/**
 * Opens and checks every key: it must unseal (its master key is in the keyring, the row is
 * intact), parse, import as a private key of its algorithm, and each algorithm must have a current
 * key. Anything else is SSOCertificateError naming the key: the issuers refuse to sign rather than
 * sign with what is left (a JWKS missing a key fails every relying party that holds its tokens).
 */
export function openSigningKeys(ctx: ServerContext, stored: StoredKeys): SigningKeyRow[] {
  const keys = stored.rows.map((row) => {
    let jwk: JsonWebKey;
    try {
      jwk = JSON.parse(ctx.keys.decrypt(row.private_jwk_enc, sealedAs(row.kid)).toString()) as JsonWebKey;
      const key = createPrivateKey({ key: jwk, format: "jwk" });
      const expected = row.alg === "ES256" ? "ec" : "rsa";
      if (key.asymmetricKeyType !== expected || jwk.kid !== row.kid || jwk.alg !== row.alg)
        throw new Error(`not a ${row.alg} key`);
    } catch (error) {
      throw unusable(`signing key ${row.kid} is unusable`, error);
    }
    return {
      kid: row.kid,
      alg: row.alg,
      privateJwk: jwk,
      createdAt: row.created_at,
      retiredAt: row.retired_at,
    };
  });
  for (const alg of signingAlgorithms) {
    if (!keys.some((k) => k.alg === alg && k.retiredAt === null))
      throw unusable(`no current ${alg} signing key`);
  }
  return keys;
}

/**
 * The JWKS a provider signs with: current keys first (oidc-provider signs with the first key of
 * the wanted alg), ES256 before RS256, then retired keys still within the window at `now` (latest
 * retired first), and the
 * time the first of those leaves it (the JWKS must then be rebuilt without it).
 */
export function providerJwks(keys: readonly SigningKeyRow[], now: number) {
  const current = keys.filter((k) => k.retiredAt === null);
  const byAlg = (a: SigningKeyRow, b: SigningKeyRow) => a.alg.localeCompare(b.alg);
  const retired = keys
    .filter((k) => k.retiredAt !== null && k.retiredAt + keepRetiredSigningKeysMs > now)
    .sort((a, b) => (b.retiredAt ?? 0) - (a.retiredAt ?? 0) || byAlg(a, b));
  const leaves = retired.map((k) => (k.retiredAt ?? 0) + keepRetiredSigningKeysMs);
  return {
    jwks: { keys: [...current.sort(byAlg), ...retired].map((k) => k.privateJwk) },
    validUntil: leaves.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...leaves),
  };
}
