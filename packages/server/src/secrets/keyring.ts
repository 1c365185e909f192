import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { MasterKeyError } from "./master-key-error.ts";

/**
 * Master keys live outside the database: in a keyring file (mode 0600) or in TESSERA_MASTER_KEY
 * as `id:base64[,id:base64...]`, the first being active. Older keys stay to decrypt what was
 * written with them until rotation has re-encrypted it.
 */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
  readonly createdAt: string;
}

export interface Keyring {
  readonly active: string;
  readonly keys: readonly MasterKey[];
  /** The keyring file, or undefined when the keys come from the environment. */
  readonly file: string | undefined;
}

const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

export function newKeyId(now = new Date()): string {
  return `k${now.toISOString().slice(0, 10).replaceAll("-", "")}-${randomBytes(3).toString("hex")}`;
}

export function generateMasterKey(): MasterKey {
  return { id: newKeyId(), key: randomBytes(32), createdAt: new Date().toISOString() };
}

export function parseKeyList(value: string): Keyring {
  const keys = value.split(",").map((entry) => {
    const [id, material] = entry.trim().split(":");
    const key = Buffer.from(material ?? "", "base64");
    if (id === undefined || !keyIdPattern.test(id) || key.length !== 32) {
      throw new MasterKeyError(
        "TESSERA_MASTER_KEY must be ID:BASE64 entries of 32-byte keys, separated by commas",
      );
    }
    return { id, key, createdAt: "" };
  });
  return { active: keys[0]?.id ?? "", keys, file: undefined };
}

/** Reads the keyring file, refusing one that other users can read. */
export function readKeyringFile(file: string): Keyring {
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(
      `keyring ${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  let parsed: { active?: unknown; keys?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new MasterKeyError(`keyring ${file} is not valid JSON`);
  }
  if (typeof parsed.active !== "string" || !Array.isArray(parsed.keys)) {
    throw new MasterKeyError(`keyring ${file} must have "active" and "keys"`);
  }
  const keys = parsed.keys.map((entry: { id?: unknown; key?: unknown; createdAt?: unknown }) => {
    const key = Buffer.from(typeof entry.key === "string" ? entry.key : "", "base64");
    if (typeof entry.id !== "string" || !keyIdPattern.test(entry.id) || key.length !== 32) {
      throw new MasterKeyError(`keyring ${file} holds a malformed key entry`);
    }
    return { id: entry.id, key, createdAt: String(entry.createdAt ?? "") };
  });
  if (!keys.some((k) => k.id === parsed.active)) {
    throw new MasterKeyError(`keyring ${file}: active key ${parsed.active} is not in the keyring`);
  }
  return { active: parsed.active, keys, file };
}

/** Writes atomically (temp file, then rename) so a crash never leaves half a keyring. */
export function writeKeyringFile(file: string, active: string, keys: readonly MasterKey[]): Keyring {
  const body = {
    active,
    keys: keys.map((k) => ({ id: k.id, key: k.key.toString("base64"), createdAt: k.createdAt })),
  };
  const temp = `${file}.tmp-${process.pid}`;
  writeFileSync(temp, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
  return { active, keys, file };
}

export interface KeyringSource {
  readonly keyringFile: string;
  readonly masterKey?: string | undefined;
  /** Create the keyring file when it does not exist (first start of the embedded setup). */
  readonly create: boolean;
}

export function loadKeyring(source: KeyringSource): Keyring {
  if (source.masterKey !== undefined) return parseKeyList(source.masterKey);
  if (existsSync(source.keyringFile)) return readKeyringFile(source.keyringFile);
  if (!source.create) {
    throw new MasterKeyError(
      `no master key: ${source.keyringFile} does not exist and TESSERA_MASTER_KEY is not set`,
    );
  }
  const key = generateMasterKey();
  return writeKeyringFile(source.keyringFile, key.id, [key]);
}
