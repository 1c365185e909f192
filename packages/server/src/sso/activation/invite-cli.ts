import type { Command } from "commander";
import { auditCli, printJsonOrLines, withContext } from "../../cli/command-context.ts";
import { warnAboutDefaultPublicUrl } from "../../cli/public-url-notice.ts";
import { requireUser } from "../../users/user-cli.ts";
import { inviteUser } from "./invite-user.ts";

/** `tessera user invite <username> --tenant T [--app clientId ...]`: the CLI form of the invitation. */
export function addInviteCommand(user: Command): void {
  user
    .command("invite <username>")
    .description("e-mail a user a link to activate the account (password, authenticator app, apps)")
    .requiredOption("--tenant <tenant>", "tenant id or name")
    .option("--app <clientId...>", "client ids of the tenant's apps to assign when the activation completes")
    .option("--json", "print JSON")
    .action(
      async (username: string, o: { tenant: string; app?: string[]; json?: boolean }, command: Command) =>
        withContext(command, async (ctx) => {
          const { tenant, user: found } = await requireUser(ctx, o.tenant, username);
          const invitation = await inviteUser(ctx, tenant, found, o.app ?? []);
          warnAboutDefaultPublicUrl(ctx, "the e-mailed link");
          await auditCli(ctx, {
            tenantId: tenant.id,
            subject: `user:${found.username}`,
            operation: "user.invite",
            resultCode: 0,
          });
          const expiresAt = new Date(invitation.expiresAt).toISOString();
          printJsonOrLines(Boolean(o.json), { invitation: { ...invitation, expiresAt } }, () => [
            `invited ${found.username}; the link expires at ${expiresAt}`,
          ]);
        }),
    );
}
