import { Command } from "commander";
import { auditCommand } from "../audit/audit-cli.ts";
import { tokenCommand } from "../authenticators/token-cli.ts";
import { webauthnCommand } from "../authenticators/webauthn/metadata/metadata-cli.ts";
import { linkCommand } from "../link/link-cli.ts";
import { policyCommand } from "../policies/policy-cli.ts";
import { radiusCommand } from "../radius/clients/radius-client-cli.ts";
import { keysCommand } from "../secrets/keys-cli.ts";
import { appCommand } from "../sso/apps/app-cli.ts";
import { apiKeyCommand, tenantCommand } from "../tenants/tenant-cli.ts";
import { userCommand } from "../users/user-cli.ts";
import { showDataOptionsEverywhere, withDataOptions } from "./cli-config.ts";
import { startCommand } from "./start-command.ts";

/**
 * The `tessera` command line: every operator task, one command group per domain. Built here, apart
 * from main.ts (which parses argv as it is imported), so tests can walk it without running it.
 */
export function tesseraProgram(): Command {
  const program = withDataOptions(new Command("tessera"))
    .description(
      "Tessera identity platform: an MFA server with its REST API, SSO (an OpenID Connect provider per tenant with sign-in pages, apps, access policies, account activation and personal access tokens), security keys and passkeys (WebAuthn) through the API and the sign-in pages, Link credential sync, a RADIUS listener for VPNs and network gear, and the operator commands for them (the web console is planned, not built yet)",
    )
    .addCommand(startCommand())
    .addCommand(tenantCommand())
    .addCommand(apiKeyCommand())
    .addCommand(userCommand())
    .addCommand(tokenCommand())
    .addCommand(keysCommand())
    .addCommand(auditCommand())
    .addCommand(linkCommand())
    .addCommand(appCommand())
    .addCommand(policyCommand())
    .addCommand(webauthnCommand())
    .addCommand(radiusCommand());
  return showDataOptionsEverywhere(program);
}
