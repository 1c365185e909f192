import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../../app/server-context.ts";
import { certificate } from "./certificate-chain.ts";
import { FIDO_MDS_HOST, FIDO_MDS_ROOT_PEM } from "./fido-mds-root.ts";
import { verifyMetadataBlob } from "./metadata-blob.ts";
import { StaleMetadataError, storeMetadata } from "./metadata-store.ts";

const refused = (message: string, cause?: unknown) =>
  new TesseraError(TesseraApiCode.MalformedRequest, {
    message: `the metadata BLOB is refused, nothing was stored: ${message}`,
    ...(cause === undefined ? {} : { cause }),
  });

const untrusted = "the certificate chain does not lead to a trusted root";

/** The chain refusal names the root it missed and how to name another, so the operator knows what to do. */
function withNextStep(message: string, ownRoot: boolean): string {
  if (message !== untrusted) return message;
  return ownRoot
    ? "the certificate chain does not lead to the root given with --root"
    : "the certificate chain does not lead to the FIDO Alliance's root (GlobalSign Root CA - R3): import the BLOB from https://mds3.fidoalliance.org/, or name the root of another metadata service with --root <pem>";
}

/**
 * Imports a FIDO MDS3 BLOB the operator downloaded: verified first (signature, and chain to
 * `rootPem`, by default the FIDO Alliance's root with its signing certificate bound to
 * mds.fidoalliance.org), then stored. Anything wrong refuses the whole BLOB before a row is
 * written (MalformedRequest naming the reason).
 */
export async function importMetadata(
  ctx: ServerContext,
  jwt: string,
  rootPem?: string,
): Promise<{ no: number; nextUpdate: string; stored: number }> {
  let roots: ReturnType<typeof certificate>[];
  try {
    roots = [certificate(rootPem ?? FIDO_MDS_ROOT_PEM)];
  } catch (error) {
    throw refused("the root certificate cannot be read", error);
  }
  let blob: ReturnType<typeof verifyMetadataBlob>;
  try {
    blob = verifyMetadataBlob(jwt, roots, {
      at: new Date(ctx.clock.now()),
      host: rootPem === undefined ? FIDO_MDS_HOST : undefined,
    });
  } catch (error) {
    throw refused(withNextStep((error as Error).message, rootPem !== undefined), error);
  }
  try {
    const { stored } = await storeMetadata(ctx, blob);
    return { no: blob.no, nextUpdate: blob.nextUpdate, stored };
  } catch (error) {
    if (error instanceof StaleMetadataError)
      throw refused(
        `it is stale: ${error.message}; download the current BLOB (an older one may predate a revocation)`,
        error,
      );
    throw error;
  }
}
