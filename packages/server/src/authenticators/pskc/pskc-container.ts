import { cipherValue, decrypt, deriveKey, isCbc, macHash, verifyMac } from "./pskc-crypto.ts";
import { attribute, child, type Node, PskcError, text } from "./pskc-xml.ts";

export interface PskcSecrets {
  readonly preSharedKey?: Buffer | undefined;
  readonly password?: string | undefined;
}

/**
 * What the container says about its encryption: the key values are decrypted with, the MAC that
 * must verify before any of them is decrypted, and why an encrypted value cannot be opened when
 * the operator gave no key. Every defect here refuses the whole file.
 */
export interface ContainerKeys {
  readonly encryption: Buffer | undefined;
  readonly missingKey: string;
  readonly mac: { readonly hash: string; readonly key: Buffer } | undefined;
}

export async function containerKeys(
  xml: string,
  container: Node,
  given: PskcSecrets,
): Promise<ContainerKeys> {
  const declared = child(container, "EncryptionKey");
  const derived = child(declared, "DerivedKey");
  let encryption = given.preSharedKey;
  let missingKey = "the values are encrypted: a pre-shared key is needed";
  if (derived !== undefined) {
    missingKey = "the values are encrypted with a password (PBKDF2, RFC 6030 §6.2): a password is needed";
    encryption = undefined;
    if (given.password !== undefined) {
      try {
        encryption = await deriveKey(derived, given.password);
      } catch (error) {
        throw new PskcError((error as Error).message);
      }
    }
  } else if (declared !== undefined && child(declared, "KeyName") === undefined) {
    const kind = child(declared, "X509Data") !== undefined ? "a certificate's public key" : "an unknown key";
    throw new PskcError(`the values are encrypted with ${kind} (asymmetric encryption is not supported)`);
  } else if (declared !== undefined) {
    missingKey = `the values are encrypted with the pre-shared key named "${text(child(declared, "KeyName"))}": a pre-shared key is needed`;
  }
  return { encryption, missingKey, mac: containerMac(xml, container, encryption, missingKey) };
}

function containerMac(
  xml: string,
  container: Node,
  encryption: Buffer | undefined,
  missingKey: string,
): ContainerKeys["mac"] {
  const method = child(container, "MACMethod");
  if (method === undefined) {
    // A MAC nobody can check is not a MAC: refuse rather than import unauthenticated values.
    if (/<([\w.-]+:)?ValueMAC\b/.test(xml))
      throw new PskcError("the file has ValueMAC elements but no MACMethod");
    return undefined;
  }
  let hash: string;
  try {
    hash = macHash(attribute(method, "Algorithm"));
  } catch (error) {
    throw new PskcError((error as Error).message);
  }
  if (child(method, "MACKeyReference") !== undefined)
    throw new PskcError("the MAC key is given by reference (MACKeyReference), which is not supported");
  const encryptedKey = child(method, "MACKey");
  if (encryption === undefined) throw new PskcError(missingKey);
  // Pre-RFC drafts had no MACKey: the MAC key was the encryption key itself.
  if (encryptedKey === undefined) return { hash, key: encryption };
  try {
    return { hash, key: decrypt(encryptedKey, encryption) };
  } catch (error) {
    throw new PskcError(`the MAC key cannot be decrypted: ${(error as Error).message}`);
  }
}

/**
 * An EncryptedValue, opened only after its ValueMAC verified (RFC 6030 §6.1.1: the MAC covers
 * the IV and ciphertext). CBC without a MAC is refused: RFC 6030 requires one, and unauthenticated
 * CBC can be tampered with. Key wrap carries its own integrity check.
 */
export function openValue(element: Node, label: string, keys: ContainerKeys): Buffer {
  const encrypted = child(element, "EncryptedValue") as Node;
  const mac = text(child(element, "ValueMAC"));
  const cbc = isCbc(attribute(child(encrypted, "EncryptionMethod"), "Algorithm"));
  if (keys.mac !== undefined) {
    if (mac === undefined) throw new PskcError(`${label}: no ValueMAC, though the file declares a MACMethod`);
    if (!verifyMac(keys.mac.hash, keys.mac.key, cipherValue(encrypted), mac))
      throw new PskcError(`${label}: the MAC does not verify (wrong key, or the file was altered)`);
  } else if (cbc) {
    throw new PskcError(`${label}: encrypted in CBC mode without a MAC (RFC 6030 requires a MACMethod)`);
  }
  if (keys.encryption === undefined) throw new PskcError(keys.missingKey);
  try {
    return decrypt(encrypted, keys.encryption);
  } catch (error) {
    throw new PskcError(`${label}: ${(error as Error).message}`);
  }
}
