import { Command } from "commander";
import { closeOnSignals, runServer } from "../app/run-server.ts";
import { configFromOptions, reportStartupError } from "./cli-config.ts";
import { stopWithParent } from "./stop-with-parent.ts";

export function startCommand(): Command {
  return new Command("start")
    .description(
      "start the server: the MFA REST API (users, OTP tokens, passwords, sessions), SSO (an OpenID Connect provider per tenant at /oidc/<tenant id> with its sign-in, activation and personal-access-token pages), the end-user pages for enrolment (security keys and passkeys with WebAuthn among them) and password recovery, Link credential sync workers, the API reference at /docs, /health, /ready and /metrics, and the RADIUS listener when radius.enabled (docs/radius.md). Planned, not built yet: the web console",
    )
    .option("--host <host>", "address to listen on (or TESSERA_HOST; default 127.0.0.1)")
    .option("--port <port>", "port to listen on, 0 for any free port (or TESSERA_PORT; default 8080)")
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals() as Record<string, unknown>;
      try {
        const flags: Record<string, unknown> = {};
        if (options.host !== undefined) flags.host = options.host;
        if (options.port !== undefined) flags.port = options.port;
        const config = configFromOptions(options, flags);
        const server = await runServer(config);
        closeOnSignals(server, config.shutdownTimeoutMs, config.shutdownDrainMs);
        stopWithParent();
      } catch (error) {
        reportStartupError(error);
      }
    });
}
