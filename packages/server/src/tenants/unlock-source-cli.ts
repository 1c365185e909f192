import { isIP } from "node:net";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { Command } from "commander";
import { auditCli, printJsonOrLines, withContext } from "../cli/command-context.ts";
import { clearSourceLock } from "./source-lockout.ts";

/**
 * `tessera tenant unlock-source <address>`: ends an API-key source lockout before
 * `apiKeys.lockoutSeconds` runs out (for instance once a misconfigured client is fixed), and
 * forgets the failures counted so far. Audited as `source.unlock`; the subject names the address
 * group, which is what the lockout counts (an IPv6 address clears its whole /64).
 */
export function registerUnlockSource(tenant: Command): void {
  tenant
    .command("unlock-source <address>")
    .description("clear the API-key lockout of a source address (an IPv6 address clears its /64)")
    .option("--json", "print JSON")
    .action(async (address: string, options: { json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        if (isIP(address) === 0)
          throw new TesseraError(TesseraApiCode.MalformedRequest, {
            message: `${address} is not an IPv4 or IPv6 address`,
          });
        const cleared = await clearSourceLock(ctx.database.db, address);
        if (cleared === undefined)
          throw new TesseraError(TesseraApiCode.NotFound, {
            message: `no failed API-key attempts are recorded for ${address}; nothing to unlock`,
          });
        await auditCli(ctx, {
          tenantId: null,
          subject: `source:${cleared.group}`,
          operation: "source.unlock",
          resultCode: 0,
        });
        const now = ctx.clock.now();
        const wasLocked = cleared.lockedUntil !== null && cleared.lockedUntil > now;
        printJsonOrLines(
          Boolean(options.json),
          {
            source: cleared.group,
            wasLockedUntil: wasLocked ? new Date(Number(cleared.lockedUntil)).toISOString() : null,
          },
          () => [
            wasLocked
              ? `unlocked ${cleared.group} (was locked until ${new Date(Number(cleared.lockedUntil)).toISOString()})`
              : `${cleared.group} was not locked; its failed API-key attempts are forgotten`,
          ],
        );
      }),
    );
}
