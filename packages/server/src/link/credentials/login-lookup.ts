import { createHash, createHmac } from "node:crypto";
import type { KeyService } from "../../secrets/key-service.ts";

/**
 * A credential is found again by its tenant, site and site login without storing the login in the
 * clear: by a keyed hash, HMAC-SHA-256 under a key derived from a master key (HKDF, bound to this
 * purpose), stored as `h1:<key id>:<mac>`. A stolen database without the keyring does not let
 * anyone confirm a guessed bank login offline, which the unsalted SHA-256 of earlier releases did.
 */
const PURPOSE = "tessera link credential lookup v1";
const VERSION = "h1";

function message(tenantId: string, siteId: string, login: string): string {
  // Logins cannot hold control characters (validate-fields.ts), so the separator is unambiguous.
  return `${tenantId}\n${siteId}\n${login}`;
}

export function loginHash(
  keys: KeyService,
  keyId: string,
  tenantId: string,
  siteId: string,
  login: string,
): string {
  const mac = createHmac("sha256", keys.derivedKey(keyId, PURPOSE))
    .update(message(tenantId, siteId, login))
    .digest("base64url");
  return `${VERSION}:${keyId}:${mac}`;
}

/** The prefix of every hash made under `keyId`. */
export function loginHashPrefix(keyId: string): string {
  return `${VERSION}:${keyId}:`;
}

/**
 * Every form the login's row may be stored under: first under the active key (what new rows get),
 * then under the keyring's older keys (rows a rotation has not re-hashed yet), then, while `plain`
 * (rows of releases before the keyed hash may be left: see rehash-logins.ts), their plain SHA-256.
 * Once no such row is left the plain hash is no longer accepted: a plain row written later is not
 * matched, and the next conversion pass marks it as a duplicate.
 */
export function loginHashCandidates(
  keys: KeyService,
  tenantId: string,
  siteId: string,
  login: string,
  plain: boolean,
): { active: string; all: string[] } {
  // A rotation may have re-hashed rows under a key this process has not loaded yet.
  keys.refresh();
  const active = loginHash(keys, keys.activeKeyId, tenantId, siteId, login);
  const older = keys.keyIds
    .filter((id) => id !== keys.activeKeyId)
    .map((id) => loginHash(keys, id, tenantId, siteId, login));
  if (!plain) return { active, all: [active, ...older] };
  const legacy = createHash("sha256")
    .update(message(tenantId, siteId, login))
    .digest("base64url");
  return { active, all: [active, ...older, legacy] };
}
