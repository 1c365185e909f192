import { byValue, IdentityStatusCode } from "@tessera/codes";
import { IdentityClient } from "../identity-client.ts";
import type { IdentityResult } from "../results/identity-result.ts";
import type { DeviceCodePrompt } from "../setup/init-options.ts";
import { type CliRequest, parseCommandLine, usage } from "./cli-options.ts";
import { ExitCode, exitCodeOf } from "./exit-codes.ts";
import { withHint } from "./hints.ts";
import { describeValue } from "./human-output.ts";

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Runs one tessera-login command line; answers the exit code. Never throws. */
export async function runTesseraLogin(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<number> {
  const request = parseCommandLine(argv, env);
  if (request === "help") {
    io.stdout(usage);
    return ExitCode.done;
  }
  if (typeof request === "string") {
    io.stderr(`tessera-login: ${request}\n\n${usage}`);
    return ExitCode.usage;
  }
  const client = new IdentityClient();
  try {
    const onDeviceCode = (prompt: DeviceCodePrompt) =>
      io.stderr(
        `To sign in, open ${prompt.verificationUriComplete ?? prompt.verificationUri} and enter the code ${prompt.userCode}\n`,
      );
    const init = await client.init({ ...request.init, onDeviceCode });
    if (init.status === IdentityStatusCode.Failed) {
      // A wrong option value came from the command line: a usage error, named as the user typed it.
      const usageError = asUsageError(init.message);
      if (usageError !== undefined) {
        report(io, request, { ...init, message: usageError });
        return ExitCode.usage;
      }
    }
    if (init.status !== IdentityStatusCode.Success) return report(io, request, withHint(request, env, init));
    return report(io, request, withHint(request, env, await run(client, request)));
  } finally {
    client.close();
  }
}

async function run(client: IdentityClient, request: CliRequest): Promise<IdentityResult<unknown>> {
  switch (request.command) {
    case "signin": {
      const signedIn = await client.signIn({ device: request.device });
      if (signedIn.status !== IdentityStatusCode.Success) return signedIn;
      // What `status` shows (the profile from userinfo too): a sign-in's own answer is built from
      // the token response alone, whose ID token carries no name when userinfo is offered.
      const data = await client.authenticationData();
      return data.status === IdentityStatusCode.Success ? { ...data, ...messageOf(signedIn) } : signedIn;
    }
    case "status":
      return client.authenticationData();
    case "token": {
      if (request.tokenFor === undefined) return client.getAccessToken();
      const registered = await client.registerClientId(request.tokenFor);
      if (registered.status !== IdentityStatusCode.Success) return registered;
      return client.getAccessToken(request.tokenFor);
    }
    case "signout":
      return client.signOut({ everywhere: request.everywhere });
    case "whoami":
      return client.getUserProfile();
  }
}

const messageOf = (result: IdentityResult<unknown>) =>
  result.message === undefined ? {} : { message: result.message };

function report(io: CliIo, request: CliRequest, result: IdentityResult<unknown>): number {
  const statusName = byValue("identity", result.status)?.name ?? String(result.status);
  if (request.json) {
    io.stdout(
      `${JSON.stringify({ status: result.status, statusName, message: result.message ?? null, value: result.value ?? null })}\n`,
    );
  } else {
    const described = describeValue(request.command, result.value);
    if (described !== undefined) io.stdout(described);
    if (result.status !== IdentityStatusCode.Success || result.message !== undefined)
      io.stderr(`${statusName}${result.message === undefined ? "" : `: ${result.message}`}\n`);
  }
  return exitCodeOf(result.status);
}

/** init's option names as the command line spells them (init's messages start with the option). */
const flags: Readonly<Record<string, string>> = {
  issuer: "--issuer (or TESSERA_ISSUER)",
  clientId: "--client-id (or TESSERA_CLIENT_ID)",
  storeDir: "--store-dir",
  timeoutMs: "--timeout-ms",
  locale: "--locale",
};

function asUsageError(message: string | undefined): string | undefined {
  const option = /^(\w+) /.exec(message ?? "")?.[1];
  const flag = option !== undefined && Object.hasOwn(flags, option) ? flags[option] : undefined;
  return flag === undefined || message === undefined || option === undefined
    ? undefined
    : `${flag}${message.slice(option.length)}`;
}
