import { constants, type KeyObject, verify, type X509Certificate } from "node:crypto";
import { certificate, verifyChain } from "./certificate-chain.ts";

/** One FIDO2 authenticator of the BLOB: its AAGUID, its metadata statement and where it stands. */
export interface MetadataEntry {
  readonly aaguid: string;
  readonly description: string;
  readonly statement: Record<string, unknown>;
  readonly status: string;
}

export interface MetadataBlob {
  /** The BLOB's serial number: a later BLOB has a higher one. */
  readonly no: number;
  readonly nextUpdate: string;
  readonly entries: readonly MetadataEntry[];
}

/**
 * Statuses that make an authenticator untrustworthy (FIDO MDS3 §3.1.4): its certification was
 * revoked, or keys of it (the user's or the attestation key) were compromised. One such report
 * anywhere in the history counts, not only the latest: a compromised key does not heal.
 */
export const refusedStatuses: readonly string[] = [
  "REVOKED",
  "USER_KEY_REMOTE_COMPROMISE",
  "USER_KEY_PHYSICAL_COMPROMISE",
  "ATTESTATION_KEY_COMPROMISE",
];

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const hashes: Record<string, string> = { "256": "sha256", "384": "sha384", "512": "sha512" };

/** The JWS signature check for the algorithms MDS3 allows, the key's type bound to the `alg`. */
function signatureVerifies(alg: unknown, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  const match = typeof alg === "string" ? /^(RS|PS|ES)(256|384|512)$/.exec(alg) : null;
  const family = match?.[1];
  const hash = hashes[match?.[2] ?? ""];
  if (family === undefined || hash === undefined)
    throw new Error(`the BLOB's alg ${String(alg)} is not supported`);
  const rsa = key.asymmetricKeyType === "rsa";
  if (family === "ES" ? key.asymmetricKeyType !== "ec" : !rsa)
    throw new Error(`the BLOB's alg ${alg as string} does not fit its signing key`);
  if (family === "ES") return verify(hash, data, { key, dsaEncoding: "ieee-p1363" }, signature);
  if (family === "PS")
    return verify(
      hash,
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(match?.[2]) / 8 },
      signature,
    );
  return verify(hash, data, key, signature);
}

const part = (text: string | undefined, what: string): Record<string, unknown> => {
  try {
    const value: unknown = JSON.parse(Buffer.from(text ?? "", "base64url").toString("utf8"));
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {}
  throw new Error(`the BLOB's ${what} is not a JSON object`);
};

/** Where an entry stands: a refused status if it ever had one, otherwise its latest. */
function statusOf(reports: unknown): string {
  const statuses = (Array.isArray(reports) ? reports : [])
    .map((r: { status?: unknown; effectiveDate?: unknown }) => ({
      status: typeof r?.status === "string" ? r.status : "",
      date: typeof r?.effectiveDate === "string" ? r.effectiveDate : "",
    }))
    .filter((r) => r.status !== "")
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return (
    statuses.find((r) => refusedStatuses.includes(r.status))?.status ??
    statuses.at(-1)?.status ??
    "NOT_FIDO_CERTIFIED"
  );
}

function entriesOf(payload: Record<string, unknown>): MetadataEntry[] {
  if (!Array.isArray(payload.entries)) throw new Error("the BLOB has no entries list");
  const entries: MetadataEntry[] = [];
  for (const entry of payload.entries as Record<string, unknown>[]) {
    const aaguid = typeof entry?.aaguid === "string" ? entry.aaguid.toLowerCase() : undefined;
    const statement = entry?.metadataStatement;
    // Only FIDO2 authenticators have an AAGUID; U2F and UAF entries are keyed otherwise.
    if (aaguid === undefined || !uuid.test(aaguid) || typeof statement !== "object" || statement === null)
      continue;
    const description = (statement as { description?: unknown }).description;
    entries.push({
      aaguid,
      description: typeof description === "string" ? description : "",
      statement: statement as Record<string, unknown>,
      status: statusOf(entry.statusReports),
    });
  }
  // Every genuine MDS3 BLOB lists FIDO2 authenticators. One without any would store no row, and
  // the stored rows are what remembers the BLOB number an older BLOB is refused by (fail closed).
  if (entries.length === 0)
    throw new Error(
      "the BLOB lists no FIDO2 authenticator (no entry with an AAGUID and a metadata statement)",
    );
  return entries;
}

/**
 * Verifies a FIDO Metadata Service (MDS3) BLOB, a JWT: its x5c chain must lead to one of `roots`
 * (and, when `host` is given, its signing certificate must be for that host: a GlobalSign root
 * signs many certificates, only the one for mds.fidoalliance.org may sign the BLOB), and its
 * signature must verify with the chain's leaf. Throws an Error saying what is wrong.
 */
export function verifyMetadataBlob(
  jwt: string,
  roots: readonly X509Certificate[],
  options: { at: Date; host?: string | undefined },
): MetadataBlob {
  const parts = jwt.trim().split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p)))
    throw new Error("the BLOB is not a JWT (three base64url parts)");
  const header = part(parts[0], "header");
  if (!Array.isArray(header.x5c) || header.x5c.length === 0 || header.x5c.some((c) => typeof c !== "string"))
    throw new Error("the BLOB's header has no x5c certificate chain");
  const chain = (header.x5c as string[]).map((c) => certificate(Buffer.from(c, "base64")));
  verifyChain(chain, roots, options.at);
  const leaf = chain[0] as X509Certificate;
  if (options.host !== undefined && leaf.checkHost(options.host) === undefined)
    throw new Error(`the BLOB's signing certificate is not for ${options.host}`);
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (!signatureVerifies(header.alg, leaf.publicKey, signed, Buffer.from(parts[2] ?? "", "base64url")))
    throw new Error("the BLOB's signature does not verify");
  const payload = part(parts[1], "payload");
  if (typeof payload.no !== "number" || !Number.isSafeInteger(payload.no) || payload.no < 0)
    throw new Error("the BLOB's number (no) is not a non-negative integer");
  return {
    no: payload.no,
    nextUpdate: typeof payload.nextUpdate === "string" ? payload.nextUpdate : "",
    entries: entriesOf(payload),
  };
}
