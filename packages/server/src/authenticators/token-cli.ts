import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import { auditCli, printJsonOrLines, withContext } from "../cli/command-context.ts";
import { readInputFile } from "../cli/input-file.ts";
import { progressBar } from "../cli/progress-bar.ts";
import { readPassword } from "../cli/prompt.ts";
import { requireTenant } from "../tenants/tenant-cli.ts";
import { findUser } from "../users/user-store.ts";
import { requireWellFormed } from "../users/username.ts";
import { activationCodesInWords, activationCommand } from "./activation-hint.ts";
import { findBySerial } from "./authenticator-store.ts";
import { createAuthenticator } from "./create-authenticator.ts";
import { enableAuthenticator } from "./enable-authenticator.ts";
import { importPskc } from "./pskc/import-tokens.ts";
import { requireSerial } from "./serial.ts";
import { addTokenSetupCommands } from "./token-setup-cli.ts";

/** Hardware and soft tokens from the command line. */
interface ImportFlags {
  tenant: string;
  key?: string;
  password?: boolean;
  allowExpired?: boolean;
  json?: boolean;
}

export function tokenCommand(): Command {
  const token = new Command("token").description(
    "OATH tokens: create, activate, list and show them, import hardware tokens",
  );
  token
    .command("import <file>")
    .description("import a PSKC (RFC 6030) file into the tenant's pool of unassigned tokens")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--key <hex>", "pre-shared AES or 3DES key for encrypted containers (hex)")
    .option(
      "--password",
      "the file is encrypted with a password (PBKDF2): ask for it without echo, or read it from standard input",
    )
    .option("--allow-expired", "import keys past their ExpiryDate too")
    .option("--json", "print the summary as JSON")
    .action(async (file: string, o: ImportFlags, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        if (o.key !== undefined && !/^([0-9a-fA-F]{32}|[0-9a-fA-F]{48}|[0-9a-fA-F]{64})$/.test(o.key)) {
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message: "--key must be a 128, 192 or 256-bit AES key in hex",
          });
        }
        const xml = readInputFile(file);
        // Never on the command line (ps and shell history would show it).
        const password = o.password === true ? await readPassword(`Password for ${file}`) : undefined;
        const bar = progressBar("importing");
        const result = await importPskc(
          ctx,
          tenant,
          xml,
          {
            preSharedKey: o.key === undefined ? undefined : Buffer.from(o.key, "hex"),
            password,
            allowExpired: o.allowExpired,
          },
          (done, total) => bar.update(done, total),
        );
        await auditCli(ctx, {
          tenantId: tenant.id,
          subject: `import:${file}`,
          operation: "token.import",
          resultCode: 0,
        });
        printJsonOrLines(Boolean(o.json), result, () => [
          `${result.imported} imported, ${result.rejected.length} rejected`,
          ...(result.signature === "none" ? [] : ["  the file is signed: the signature was not verified"]),
          ...result.rejected.map((r) => `  ${r.serial || "?"}: ${r.reason}`),
        ]);
        if (result.rejected.length > 0) process.exitCode = 2;
      }),
    );
  token
    .command("create")
    .description(
      "create a token; a generated secret is shown once: the otpauth URI, the base32 secret, and a QR code on a terminal",
    )
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .requiredOption("--type <type>", "totp or hotp")
    .option("--username <username>", "assign it to this user")
    .option("--serial <serial>")
    .option("--json", "print JSON {serial, provisioningUri, secret}")
    .action(
      async (
        o: { tenant: string; type: string; username?: string; serial?: string; json?: boolean },
        command: Command,
      ) =>
        withContext(command, async (ctx) => {
          const tenant = await requireTenant(ctx, o.tenant);
          const user =
            o.username === undefined
              ? undefined
              : await findUser(ctx.database.db, tenant.id, requireWellFormed(o.username, "username"));
          if (o.username !== undefined && user === undefined)
            throw new TesseraError(ApiReturnCode.InvalidPartnerUserLogin, {
              message: `no user ${o.username}`,
            });
          const created = await createAuthenticator(
            ctx,
            tenant,
            { type: o.type, ...(o.serial === undefined ? {} : { serial: o.serial }) },
            user,
          );
          await auditCli(ctx, {
            tenantId: tenant.id,
            subject: `authenticator:${created.row.serial}`,
            operation: "token.create",
            resultCode: 0,
          });
          const uri = created.provisioningUri ?? "";
          const secret = created.secret ?? "";
          const serial = created.row.serial;
          if (o.json) {
            printJsonOrLines(true, { serial, provisioningUri: uri, secret }, () => []);
            return;
          }
          // The URI and the secret are printed always, also into a pipe or a file: a person may set
          // the app up by typing the key, or by opening the URI on the phone. A QR code is drawn
          // only for a terminal, where someone can scan it.
          process.stdout.write(
            [
              `token ${serial} created; its secret is shown this once`,
              `otpauth URI: ${uri}`,
              `secret (base32): ${secret}`,
              "",
            ].join("\n"),
          );
          const terminal = process.stdout.isTTY === true;
          if (terminal) process.stdout.write(await drawQr(uri));
          const how = terminal
            ? "scan the QR code, open the URI, or type the secret"
            : "open the URI, or type the secret";
          process.stdout.write(
            `add it to the authenticator app (${how}), then activate it with ${activationCodesInWords(tenant)} from the app:\n  ${activationCommand(tenant, serial)}\n`,
          );
        }),
    );

  token
    .command("enable <serial>")
    .description("enable a token and clear its lock (also after the permanent lock), as the API's enable")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--json", "print JSON")
    .action(async (serial: string, o: { tenant: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        const wanted = requireSerial(serial, "serial");
        const row = await findBySerial(ctx.database.db, wanted);
        // Another tenant's serial answers like an unknown one, as on the API.
        const updated =
          row === undefined || row.tenant_id !== tenant.id
            ? undefined
            : await enableAuthenticator(ctx.database.db, row.id, ctx.clock.now());
        const resultCode = updated === undefined ? ApiReturnCode.DeviceNotFound : 0;
        await auditCli(ctx, {
          tenantId: tenant.id,
          subject: `authenticator:${wanted}`,
          operation: "token.enable",
          resultCode,
        });
        if (updated === undefined)
          throw new TesseraError(ApiReturnCode.DeviceNotFound, { message: `no token ${wanted}` });
        printJsonOrLines(
          Boolean(o.json),
          { serial: updated.serial, enabled: true, lockedUntil: updated.locked_until },
          () => [`token ${updated.serial} enabled; its lock and failure counters are cleared`],
        );
      }),
    );

  addTokenSetupCommands(token);

  token
    .command("qr <uri>")
    .description("draw an otpauth:// provisioning URI as a QR code in the terminal")
    .action(async (uri: string) => {
      process.stdout.write(await drawQr(uri));
    });
  return token;
}

async function drawQr(uri: string): Promise<string> {
  const { default: QRCode } = await import("qrcode");
  return QRCode.toString(uri, { type: "terminal", small: true });
}
