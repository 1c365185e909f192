import { IdentityStatusCode } from "@tessera/codes";
import type { IdentityResult } from "../results/identity-result.ts";
import type { CliRequest } from "./cli-options.ts";

/** The scopes the client asks for by default (init's `scopes`), as `tessera app update` takes them. */
const defaultScopeFlags = "--scope openid --scope profile --scope email --scope offline_access";

/**
 * A person's next step appended to a result's message, for the two stumbles a new integrator
 * meets first: an app registered without the scopes the client asks for, and a credential in the
 * environment that only batch mode reads. The status and exit code stay as they are.
 */
export function withHint(
  request: CliRequest,
  env: NodeJS.ProcessEnv,
  result: IdentityResult<unknown>,
): IdentityResult<unknown> {
  const hint = hintFor(request, env, result);
  return hint === undefined ? result : { ...result, message: `${result.message ?? ""}${hint}` };
}

function hintFor(request: CliRequest, env: NodeJS.ProcessEnv, result: IdentityResult<unknown>) {
  if (result.status === IdentityStatusCode.ClientError && /\binvalid_scope\b/.test(result.message ?? ""))
    return ` (the app lacks a scope the client asks for: tessera app update --tenant <tenant> ${request.init.clientId} ${defaultScopeFlags})`;
  const signedOut =
    result.status === IdentityStatusCode.AuthDataEmpty || result.status === IdentityStatusCode.SignInRequired;
  if (!signedOut || request.init.mode === "batch") return undefined;
  // Named, never echoed: the variable's value is a credential.
  const variable = ["TESSERA_PERSONAL_ACCESS_TOKEN", "TESSERA_CLIENT_SECRET"].find((name) => env[name]);
  return variable === undefined ? undefined : `; ${variable} is set: add --batch to use it`;
}
