import { X509Certificate } from "node:crypto";

/**
 * Checks that a certificate chain (leaf first, as x5c lists it) leads to one of `roots`: every
 * certificate is signed by the next one, every issuer is a CA, every certificate is within its
 * validity at `at`, and the last one is a root or is signed by one. Done here with node:crypto
 * rather than @simplewebauthn/server's validateCertificatePath because that one fetches the CRLs a
 * certificate names: the metadata import is offline, and the server talks to nobody while it
 * verifies a registration. Revocation of authenticators comes from the metadata's status reports.
 * Throws an Error saying what is wrong; returns the root the chain reached.
 */
export function verifyChain(chain: readonly X509Certificate[], roots: readonly X509Certificate[], at: Date) {
  const leaf = chain[0];
  if (leaf === undefined) throw new Error("the certificate chain is empty");
  if (roots.length === 0) throw new Error("no root certificate to verify the chain with");
  const within = (c: X509Certificate) => new Date(c.validFrom) <= at && at <= new Date(c.validTo);
  chain.forEach((certificate, index) => {
    if (!within(certificate))
      throw new Error(`certificate ${index} of the chain is expired or not yet valid`);
    const issuer = chain[index + 1];
    if (issuer === undefined) return;
    if (!issuer.ca || !certificate.checkIssued(issuer) || !certificate.verify(issuer.publicKey))
      throw new Error(`certificate ${index} of the chain is not signed by certificate ${index + 1}`);
  });
  const last = chain[chain.length - 1] as X509Certificate;
  const root = roots.find(
    (r) =>
      within(r) &&
      (r.fingerprint256 === last.fingerprint256 || (r.ca && last.checkIssued(r) && last.verify(r.publicKey))),
  );
  if (root === undefined) throw new Error("the certificate chain does not lead to a trusted root");
  return root;
}

/** A certificate from DER bytes (x5c entries) or PEM text; an Error when it is not one. */
export function certificate(value: Uint8Array | string): X509Certificate {
  try {
    return new X509Certificate(typeof value === "string" ? value : Buffer.from(value));
  } catch (cause) {
    throw new Error("a certificate cannot be read", { cause });
  }
}
