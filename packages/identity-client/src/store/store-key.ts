import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { IdentityStatusCode } from "@tessera/codes";
import { credentialStoreNamed, osCredentialStore } from "./os-credential-store.ts";
import { discardStoreFile, readStoreFile, writeStoreFile } from "./store-file.ts";
import { type StoreResult, stored, storeFailure } from "./store-result.ts";

/**
 * The AES-256-GCM key that seals the store's records, one per store directory.
 *
 * Threat model. The store holds refresh tokens, which are as good as the user's sign-in.
 * - Other OS users: kept out by the 0700 directory and 0600 files (profile-directory.ts), and,
 *   where the OS credential store holds the key, by the credential store too.
 * - Copies of the store without the key (a backup, a synced or copied home directory, a stolen
 *   disk image of the store file): useless. With the key in the OS credential store (Secret
 *   Service, keychain, DPAPI) the key file holds only a reference, so a copy of the whole directory
 *   does not open either. With the fallback key file (no credential store reachable) a copy of the
 *   whole directory does open: only the file permissions protect it then.
 * - Tampering: any changed, truncated or swapped byte fails the GCM tag; the associated data binds
 *   a record to its issuer and client id, so a record copied from another store does not open
 *   either. Such a record is InvalidSharedMemoryData and is discarded: the user signs in again.
 * - Not protected: malware or any program running as the same OS user. It can read the key file,
 *   ask the credential store (which hands the key to the user's own processes), or read tokens
 *   from the program's memory. Nor root/administrators, nor a debugger attached to the program.
 *
 * The key file `store.key` (0600) is one line: `tessera-store-key 1 <where> <value>`, where is
 * `file` (value: the key, base64), `secret-service` or `keychain` (value: the credential item's
 * id) or `dpapi` (value: the DPAPI-protected key). It is created once even when many processes
 * start at once: each writes a candidate and links it into place, which never replaces an existing
 * file; the losers use the winner's key. TESSERA_IDENTITY_KEY_STORE=file skips the OS credential
 * store. Keys are cached in memory once read (the credential store's tool is slow; getAccessToken
 * is not), by key-file content, so a replaced key file is read anew.
 */
const KEY_FILE = "store.key";
const PREFIX = "tessera-store-key 1 ";
const cache = new Map<string, Buffer>();

export async function loadStoreKey(dir: string): Promise<StoreResult<Buffer>> {
  const path = join(dir, KEY_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const read = await readStoreFile(path);
    if (!read.ok) return read;
    if (read.value === undefined) {
      const created = await createKey(path);
      if (!created.ok) return created;
      if (created.value !== undefined) return stored(created.value);
      continue;
    }
    const line = read.value.bytes.toString("utf8").trim();
    const cached = cache.get(line);
    if (cached !== undefined) return stored(cached);
    const key = await resolveKey(line);
    if (key === "damaged") {
      // Nothing can open what it sealed: start afresh (the store's records then fail their check).
      await discardStoreFile(path, read.value.identity);
      continue;
    }
    if (key === undefined)
      return storeFailure(
        IdentityStatusCode.ReadDataFromSharedMemoryFailed,
        `the store key named by ${path} cannot be read from the OS credential store (delete the file to start afresh)`,
      );
    cache.set(line, key);
    return stored(key);
  }
  return storeFailure(IdentityStatusCode.ReadDataFromSharedMemoryFailed, `${path} keeps changing`);
}

/** The new key, or undefined when another process created the key file first. */
async function createKey(path: string): Promise<StoreResult<Buffer | undefined>> {
  const key = randomBytes(32);
  const credentials = osCredentialStore();
  let where = "file";
  let value = key.toString("base64");
  const reference = await credentials?.save(randomUUID(), value);
  if (credentials !== undefined && reference !== undefined) {
    where = credentials.name;
    value = reference;
  }
  const line = `${PREFIX}${where} ${value}`;
  const written = await writeStoreFile(path, Buffer.from(`${line}\n`), { exclusive: true });
  if (!written.ok || written.value === "exists") {
    if (reference !== undefined) await credentials?.remove(reference);
    return written.ok ? stored(undefined) : written;
  }
  cache.set(line, key);
  return stored(key);
}

async function resolveKey(line: string): Promise<Buffer | "damaged" | undefined> {
  if (!line.startsWith(PREFIX)) return "damaged";
  const [where, value, extra] = line.slice(PREFIX.length).split(" ");
  if (value === undefined || value === "" || extra !== undefined) return "damaged";
  let secret: string | undefined;
  if (where === "file") secret = value;
  else {
    const credentials = credentialStoreNamed(where);
    if (credentials === undefined) return "damaged";
    secret = await credentials.load(value);
    // Nothing found is not proof the key is gone (a locked or other keyring): fail closed.
    if (secret === undefined || secret === "") return undefined;
  }
  const key = Buffer.from(secret, "base64");
  return key.length === 32 && key.toString("base64") === secret ? key : "damaged";
}
