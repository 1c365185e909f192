import { containerKeys, type PskcSecrets } from "./pskc-container.ts";
import { type PskcToken, readToken } from "./pskc-key.ts";
import { attribute, child, containerNamespace, type Node, PskcError, parseXml, text } from "./pskc-xml.ts";

export type { PskcToken } from "./pskc-key.ts";
export { PskcError } from "./pskc-xml.ts";

/**
 * PSKC (RFC 6030) key containers, as hardware-token vendors ship them: one KeyPackage per token
 * with its serial, algorithm (HOTP or TOTP), response length, counter or time step, and secret,
 * in clear or encrypted (pre-shared key or PBKDF2 password; AES/3DES CBC, AES/3DES key wrap)
 * under a MAC the file declares. A defect of the container (its MAC, its keys, its version) refuses
 * the whole file; a defect of one key package refuses that key only.
 */
export type PskcEntry =
  | { readonly ok: true; readonly token: PskcToken }
  | { readonly ok: false; readonly serial: string; readonly reason: string };

export interface PskcDocument {
  readonly entries: PskcEntry[];
  /** An XML signature is reported, not verified: Tessera has no XML canonicalisation. */
  readonly signature: "none" | "not verified";
}

const RFC6030 = "urn:ietf:params:xml:ns:keyprov:pskc";

export async function parsePskc(xml: string, secrets: PskcSecrets = {}): Promise<PskcDocument> {
  const document = parseXml(xml);
  const container = child(document, "KeyContainer");
  if (
    container === undefined &&
    (document.SecretContainer !== undefined || /openauthentication\.org\/OATH\/[\d/]+PSKC/.test(xml))
  )
    throw new PskcError(
      "pre-RFC draft layout (OATH 2006 PSKC) is not supported: export the file as RFC 6030 PSKC",
    );
  if (container === undefined) throw new PskcError("no KeyContainer element: not a PSKC document");
  const namespace = containerNamespace(xml);
  if (namespace?.startsWith("urn:ietf:params:xml:ns:keyprov:") && namespace !== RFC6030)
    throw new PskcError(
      `pre-RFC draft layout (namespace ${namespace}) is not supported: export the file as RFC 6030 PSKC`,
    );
  if (namespace !== RFC6030) throw new PskcError(`KeyContainer is not in the PSKC namespace ${RFC6030}`);
  const version = attribute(container, "Version");
  if (version !== "1.0")
    throw new PskcError(
      version === undefined
        ? "no Version attribute (RFC 6030 requires 1.0)"
        : `unsupported PSKC version ${version}`,
    );
  if (container.KeyPackage === undefined && container.Device !== undefined)
    throw new PskcError(
      "pre-RFC draft layout (Device elements instead of KeyPackage) is not supported: export the file as RFC 6030 PSKC",
    );
  const keys = await containerKeys(xml, container, secrets);
  const packages = (container.KeyPackage as Node[] | undefined) ?? [];
  const entries = packages.map((pkg, index): PskcEntry => {
    const key = pkg.Key;
    const keyNode =
      typeof key === "object" && key !== null && !Array.isArray(key) ? (key as Node) : undefined;
    const serial = text((pkg.DeviceInfo as Node | undefined)?.SerialNo) ?? attribute(keyNode, "Id");
    const label = serial ?? `KeyPackage ${index + 1}`;
    const problems =
      serial === undefined ? ["no serial number (neither DeviceInfo SerialNo nor Key Id)"] : [];
    try {
      const token = readToken(label, pkg, keys);
      if (problems.length === 0) return { ok: true, token };
    } catch (error) {
      // Container defects (a MAC that does not verify, a key that is missing) refuse the file.
      if (error instanceof PskcError) throw new PskcError(`key ${label}: ${error.message}`);
      problems.push((error as Error).message);
    }
    return { ok: false, serial: label, reason: problems.join("; ") };
  });
  return { entries, signature: container.Signature === undefined ? "none" : "not verified" };
}
