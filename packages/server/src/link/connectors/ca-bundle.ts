import { X509Certificate } from "node:crypto";
import { getCACertificates } from "node:tls";
import type { Site } from "../sites/site.ts";

/**
 * A site's own certificate authority (`site.tls.ca`), for institutions whose server certificate
 * is issued by a private CA. It is trusted in addition to the default roots, for that site's
 * requests only: node's `ca` option replaces the roots, so they are handed over together.
 */
const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Why the PEM text cannot serve as a site's CA bundle, or undefined when it can. */
export function checkCaBundle(pem: string, now = Date.now()): string | undefined {
  const blocks = [...pem.matchAll(pemBlock)];
  if (blocks.length === 0) return "no certificate found (expected PEM: -----BEGIN CERTIFICATE-----)";
  for (const [index, [text, label]] of blocks.entries()) {
    // A key pasted by mistake would be stored with the site: refuse it rather than ignore it.
    if (label !== "CERTIFICATE") return `block ${index + 1} is a ${label}, not a CERTIFICATE`;
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(text);
    } catch {
      return `certificate ${index + 1} cannot be read`;
    }
    // An expired CA verifies nothing: saying so when the site is saved beats a failing sync.
    if (Date.parse(certificate.validTo) < now)
      return `certificate ${index + 1} (${certificate.subject.replaceAll("\n", ", ")}) expired on ${certificate.validTo}`;
  }
  return undefined;
}

/** The `ca` option for a request to the site: undefined (the default roots) when it has no CA of its own. */
export function trustedCa(site: Site): string[] | undefined {
  const ca = site.tls?.ca;
  if (ca === undefined || ca.trim() === "") return undefined;
  // "default": the bundled roots plus NODE_EXTRA_CA_CERTS, as a request without `ca` trusts.
  return [...getCACertificates("default"), ca];
}
