import { TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import { auditCli, printJsonOrLines, withContext } from "../cli/command-context.ts";
import { progressBar } from "../cli/progress-bar.ts";
import { rehashLogins } from "../link/credentials/rehash-logins.ts";
import { rotateSigningKeys } from "../sso/provider/signing-keys.ts";
import { countCiphertexts, countKeyUse } from "./key-check.ts";
import { KeyService } from "./key-service.ts";
import { generateMasterKey, readKeyringFile, writeKeyringFile } from "./keyring.ts";
import { reencryptAll } from "./rotate-keys.ts";

/**
 * Master-key operations. Rotation adds a new key to the keyring file, makes it active, and
 * re-encrypts every stored secret with it while servers keep running (they pick up the new keyring
 * within seconds). The old key stays in the keyring, decrypt-only, until `keys retire` removes it
 * once nothing uses it.
 */
/** Look-up hashes are keyed, not encrypted: counted apart from the secrets, so both numbers are true. */
const hashes = (n: number) => `${n} credential look-up hash${n === 1 ? "" : "es"}`;
/** Rows that could not be read are left as they were and logged by id; the operator must know. */
const rekeyed = ({ changed, failed }: { changed: number; failed: number }) =>
  `${hashes(changed)} re-keyed${failed === 0 ? "" : ` (${failed} could not be read and kept their old hash: see the log)`}`;

export function keysCommand(): Command {
  const keys = new Command("keys").description(
    "master keys: list, rotate, retire; token signing keys: rotate-signing",
  );

  keys
    .command("list")
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const list: { id: string; active: boolean; secrets: number; lookupHashes: number }[] = [];
        for (const id of ctx.keys.keyIds)
          list.push({ id, active: id === ctx.keys.activeKeyId, ...(await countKeyUse(ctx.database.db, id)) });
        printJsonOrLines(Boolean(o.json), { keys: list }, () =>
          list.map(
            (k) => `${k.id}${k.active ? "  active" : ""}  ${k.secrets} secrets, ${hashes(k.lookupHashes)}`,
          ),
        );
      }),
    );

  keys
    .command("rotate")
    .description("generate a new master key and re-encrypt every secret with it")
    .action(async (_o: unknown, command: Command) =>
      withContext(command, async (ctx) => {
        const file = ctx.keys.keyringFile;
        if (file === undefined) {
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message:
              "the master keys come from TESSERA_MASTER_KEY: put the new key first in that list, restart the servers, then run `tessera keys rotate` again to re-encrypt",
          });
        }
        const current = readKeyringFile(file);
        const next = generateMasterKey();
        writeKeyringFile(file, next.id, [next, ...current.keys]);
        const fresh = new KeyService(readKeyringFile(file));
        const bar = progressBar("re-encrypting");
        const count = await reencryptAll(ctx.database.db, fresh, ({ done, total }) =>
          bar.update(done, total),
        );
        // Credential look-up hashes are keyed too: moved to the new key so that `keys retire` of
        // the old one leaves every credential findable.
        const rehashed = await rehashLogins(ctx, fresh);
        await auditCli(ctx, {
          tenantId: null,
          subject: `key:${next.id}`,
          operation: "keys.rotate",
          resultCode: 0,
        });
        process.stdout.write(
          `active key is now ${next.id}; ${count} secrets re-encrypted, ${rekeyed(rehashed)}\n`,
        );
      }),
    );

  keys
    .command("reencrypt")
    .description("re-encrypt every secret not under the active key (after changing TESSERA_MASTER_KEY)")
    .action(async (_o: unknown, command: Command) =>
      withContext(command, async (ctx) => {
        const bar = progressBar("re-encrypting");
        const count = await reencryptAll(ctx.database.db, ctx.keys, ({ done, total }) =>
          bar.update(done, total),
        );
        const rehashed = await rehashLogins(ctx);
        process.stdout.write(
          `${count} secrets re-encrypted under ${ctx.keys.activeKeyId}, ${rekeyed(rehashed)}\n`,
        );
      }),
    );

  keys
    .command("retire <keyId>")
    .description("remove an old key from the keyring file once no secret needs it")
    .action(async (keyId: string, _o: unknown, command: Command) =>
      withContext(command, async (ctx) => {
        const file = ctx.keys.keyringFile;
        if (file === undefined)
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message: "no keyring file: edit TESSERA_MASTER_KEY instead",
          });
        const keyring = readKeyringFile(file);
        if (keyId === keyring.active)
          throw new TesseraError(TesseraApiCode.MalformedRequest, { message: `${keyId} is the active key` });
        const users = await countCiphertexts(ctx.database.db, keyId);
        if (users > 0)
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message: `${keyId} still protects ${users} secrets; run keys reencrypt first`,
          });
        writeKeyringFile(
          file,
          keyring.active,
          keyring.keys.filter((k) => k.id !== keyId),
        );
        await ctx.database.db.deleteFrom("key_checks").where("key_id", "=", keyId).execute();
        process.stdout.write(`retired ${keyId}\n`);
      }),
    );
  keys
    .command("rotate-signing")
    .description(
      "make new ES256 and RS256 SSO signing keys current; the old ones stay in the JWKS until their tokens expire",
    )
    .option("--json", "print JSON")
    .action(async (o: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const rotation = await rotateSigningKeys(ctx);
        await auditCli(ctx, {
          tenantId: null,
          subject: `signing-keys:${rotation.current.join(",")}`,
          operation: "keys.rotate-signing",
          resultCode: 0,
        });
        // Running servers notice the new keys within seconds (sso/provider/tenant-providers.ts).
        printJsonOrLines(Boolean(o.json), rotation, () => [
          `current signing keys: ${rotation.current.join(", ")}`,
          `retired: ${rotation.retired.join(", ") || "none"}; ${rotation.dropped} expired retired keys deleted`,
        ]);
      }),
    );
  return keys;
}
