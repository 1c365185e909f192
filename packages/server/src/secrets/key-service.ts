import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { statSync } from "node:fs";
import { type Keyring, type MasterKey, readKeyringFile } from "./keyring.ts";
import { MasterKeyError } from "./master-key-error.ts";

/**
 * Encrypts secrets at rest with AES-256-GCM. A ciphertext reads `v1:<key id>:<iv>:<data+tag>`
 * (base64url). The associated data names what the secret is and whose it is (for example
 * `signing_keys.private_key_enc:audit-1`), so a ciphertext copied into another row does not open.
 */
const VERSION = "v1";
const RELOAD_CHECK_MS = 5000;

export class KeyService {
  #keyring: Keyring;
  readonly #prepared = new Map<string, KeyObject>();
  readonly #derived = new Map<string, KeyObject>();
  #lastCheck = 0;
  #mtime = 0;

  constructor(keyring: Keyring) {
    this.#keyring = keyring;
    this.#mtime = keyring.file === undefined ? 0 : statSync(keyring.file).mtimeMs;
  }

  get activeKeyId(): string {
    this.#reloadIfChanged(false);
    return this.#keyring.active;
  }

  /** The keyring file, or undefined when the keys come from TESSERA_MASTER_KEY. */
  get keyringFile(): string | undefined {
    return this.#keyring.file;
  }

  get keyIds(): readonly string[] {
    return this.#keyring.keys.map((k) => k.id);
  }

  encrypt(plaintext: string | Buffer, associatedData: string): string {
    this.#reloadIfChanged(false);
    const key = this.#key(this.#keyring.active);
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const data = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, key.id, iv.toString("base64url"), data.toString("base64url")].join(":");
  }

  decrypt(ciphertext: string, associatedData: string): Buffer {
    const [version, keyId, ivText, dataText] = ciphertext.split(":");
    if (version !== VERSION || keyId === undefined || ivText === undefined || dataText === undefined) {
      throw new MasterKeyError("malformed ciphertext");
    }
    // A key this process does not know yet may have been added by a rotation: look again once.
    if (!this.keyIds.includes(keyId)) this.#reloadIfChanged(true);
    const key = this.#key(keyId);
    const data = Buffer.from(dataText, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key.key, Buffer.from(ivText, "base64url"));
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(data.subarray(data.length - 16));
    try {
      return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
    } catch {
      throw new MasterKeyError(
        `master key ${keyId} does not open this secret: wrong key, or the data was altered`,
      );
    }
  }

  /**
   * A key for another use than encryption (a keyed hash), derived from master key `keyId` with
   * HKDF-SHA-256 and bound to `purpose`: no further secret to keep, and a key for one purpose
   * says nothing about the master key or a key for another purpose.
   */
  derivedKey(keyId: string, purpose: string): KeyObject {
    const name = `${keyId}\n${purpose}`;
    let derived = this.#derived.get(name);
    if (derived === undefined) {
      if (!this.keyIds.includes(keyId)) this.#reloadIfChanged(true);
      const key = this.#keyring.keys.find((k) => k.id === keyId);
      if (key === undefined) throw new MasterKeyError(`master key ${keyId} is missing from the keyring`);
      derived = createSecretKey(Buffer.from(hkdfSync("sha256", key.key, Buffer.alloc(0), purpose, 32)));
      this.#derived.set(name, derived);
    }
    return derived;
  }

  /** Reads the keyring file again now if it changed, instead of within a few seconds. */
  refresh(): void {
    this.#reloadIfChanged(true);
  }

  /** The key id a ciphertext was written with. */
  static keyIdOf(ciphertext: string): string | undefined {
    return ciphertext.split(":")[1];
  }

  /**
   * The key as a KeyObject, made once: node:crypto checks a raw Buffer key against every key type
   * on every cipher it creates, which costs more than the encryption itself.
   */
  #key(id: string): { id: string; key: KeyObject } {
    let prepared = this.#prepared.get(id);
    if (prepared === undefined) {
      const key: MasterKey | undefined = this.#keyring.keys.find((k) => k.id === id);
      if (key === undefined) throw new MasterKeyError(`master key ${id} is missing from the keyring`);
      prepared = createSecretKey(key.key);
      this.#prepared.set(id, prepared);
    }
    return { id, key: prepared };
  }

  #reloadIfChanged(force: boolean): void {
    const file = this.#keyring.file;
    if (file === undefined) return;
    const now = Date.now();
    if (!force && now - this.#lastCheck < RELOAD_CHECK_MS) return;
    this.#lastCheck = now;
    const mtime = statSync(file).mtimeMs;
    if (mtime !== this.#mtime) {
      this.#keyring = readKeyringFile(file);
      this.#mtime = mtime;
    }
  }
}
