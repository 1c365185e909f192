import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FieldProblem } from "../../app/envelope.ts";
import { type AppGrantType, type AppSettings, DEVICE_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from "./app.ts";
import { type AppScope, appScopes } from "./app-input.ts";
import { redirectUriProblem } from "./app-redirect-uris.ts";

/** openid is always granted (the provider is an OpenID provider); the order is the catalogue's. */
export const normalScopes = (scopes: readonly string[]): AppScope[] =>
  appScopes.filter((scope) => scope === "openid" || scopes.includes(scope));

/**
 * Every problem of the settings, by field (`field("grantTypes")`): which grants and URIs fit the
 * kind of app. Run on the app as it would be stored, so a PATCH cannot reach a state a POST
 * would refuse (removing the last redirect URI of an app that uses the code grant, say).
 */
export function appProblems(app: AppSettings, field: (name: string) => string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const refuse = (name: string, message: string) =>
    problems.push({ field: field(name), message: `${field(name)} ${message}` });
  for (const list of ["redirectUris", "postLogoutRedirectUris"] as const)
    app[list].forEach((uri, i) => {
      const problem = redirectUriProblem(uri, app.kind);
      if (problem !== undefined) refuse(`${list}.${i}`, problem);
    });
  const has = (grant: AppGrantType) => app.grantTypes.includes(grant);
  // A public app holds no secret, so nothing would authenticate a client-credentials request.
  if (has("client_credentials") && app.kind !== "confidential")
    refuse("grantTypes", "may hold client_credentials only for a confidential app");
  // Device codes are for input-constrained devices and CLIs, which run native or server-side code.
  if (has(DEVICE_GRANT_TYPE) && app.kind === "browser")
    refuse("grantTypes", `may hold ${DEVICE_GRANT_TYPE} only for a native or confidential app`);
  // A browser app's tokens live in a page any script of it can read; it must not turn them into
  // tokens of the tenant's other apps. Programs (native) and servers (confidential) may.
  if (has(TOKEN_EXCHANGE_GRANT_TYPE) && app.kind === "browser")
    refuse("grantTypes", `may hold ${TOKEN_EXCHANGE_GRANT_TYPE} only for a native or confidential app`);
  if (has("refresh_token") && !has("authorization_code") && !has(DEVICE_GRANT_TYPE))
    refuse(
      "grantTypes",
      "may hold refresh_token only with authorization_code or the device grant, which issue one",
    );
  if (has("authorization_code") && app.redirectUris.length === 0)
    refuse("redirectUris", "must hold at least one URI for the authorization_code grant");
  if (app.grantTypes.length === 0) refuse("grantTypes", "must hold at least one grant type");
  return problems;
}

/** appProblems as a refusal: MalformedRequest naming the first field, listing every problem. */
export function requireValidApp(app: AppSettings, field: (name: string) => string): void {
  const problems = appProblems(app, field);
  const [first] = problems;
  if (first === undefined) return;
  throw new TesseraError(TesseraApiCode.MalformedRequest, {
    message: problems.map((p) => p.message).join("; "),
    field: first.field,
    problems,
  });
}
