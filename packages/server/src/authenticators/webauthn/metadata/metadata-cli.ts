import { Command } from "commander";
import { auditCli, printJsonOrLines, withContext } from "../../../cli/command-context.ts";
import { readInputFile } from "../../../cli/input-file.ts";
import { importMetadata } from "./import-metadata.ts";

/**
 * `tessera webauthn metadata import <file> [--root <pem>]`: loads the FIDO Metadata Service BLOB
 * (downloaded by the operator from https://mds3.fidoalliance.org/) into the database, offline:
 * the server never fetches it. The allow-list attestation policy reads it (attestation-policy.ts).
 */
export function webauthnCommand(): Command {
  const webauthn = new Command("webauthn").description(
    "WebAuthn security keys and passkeys (FIDO2): the FIDO metadata their attestation is checked against",
  );
  const metadata = webauthn.command("metadata").description("the FIDO Metadata Service (MDS3) BLOB");
  metadata
    .command("import")
    .description(
      "verify a FIDO MDS3 BLOB (a JWT file) and store its entries; a BLOB not newer than the stored one is refused",
    )
    .argument("<file>", "the BLOB as downloaded from https://mds3.fidoalliance.org/")
    .option(
      "--root <pem>",
      "a PEM file with the root certificate the BLOB must chain to (default: the FIDO Alliance's)",
    )
    .option("--json", "print JSON")
    .action((file: string, o: { root?: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const jwt = readInputFile(file);
        const rootPem = o.root === undefined ? undefined : readInputFile(o.root);
        const result = await importMetadata(ctx, jwt, rootPem);
        await auditCli(ctx, {
          tenantId: null,
          subject: `webauthn-metadata:${result.no}`,
          operation: "webauthn.metadata.import",
          resultCode: 0,
        });
        printJsonOrLines(Boolean(o.json), result, () => [
          `imported BLOB number ${result.no}: ${result.stored} authenticator entries; next update due ${result.nextUpdate || "-"}`,
        ]);
      }),
    );
  return webauthn;
}
