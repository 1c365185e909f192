import { CredentialStatus } from "@tessera/codes";
import {
  type Connector,
  type ConnectorAccount,
  type ConnectorContext,
  ConnectorFailure,
  type LoginResult,
  type SecondFactorField,
  type TransactionBatch,
} from "./connector.ts";
import { failOnUnavailable, json, type SiteResponse, siteRequest } from "./site-http.ts";

/**
 * The Sandbox Bank's JSON API (link/sandbox-bank): log in, maybe answer a second factor, read
 * accounts and transactions. Its error answers map onto credential statuses here.
 */
type LoginAnswer = { next?: string; twofa?: SecondFactorField[] };
type ErrorAnswer = { error?: string; message?: string };

const errorStatus: Record<string, CredentialStatus> = {
  invalid_credentials: CredentialStatus.Unauthorized,
  invalid_token: CredentialStatus.Invalidtoken,
  locked: CredentialStatus.Locked,
  session_active: CredentialStatus.Conflict,
  action_required: CredentialStatus.UserAction,
  wrong_site: CredentialStatus.WrongSite,
};

function check(response: SiteResponse): void {
  failOnUnavailable(response);
  if (response.status < 400) return;
  const body = json<ErrorAnswer>(response);
  const status = errorStatus[body.error ?? ""];
  throw new ConnectorFailure(
    status ?? CredentialStatus.Error,
    body.message ?? `the site answered ${response.status}`,
  );
}

function loginResult(response: SiteResponse): LoginResult {
  check(response);
  const body = json<LoginAnswer>(response);
  if (body.next === "accounts") return { kind: "ok" };
  if (body.next === "twofa" && Array.isArray(body.twofa) && body.twofa.length > 0)
    return { kind: "twofa", fields: body.twofa };
  // The site took the login but went somewhere this connector does not know.
  throw new ConnectorFailure(CredentialStatus.LoginError, `unexpected login step "${String(body.next)}"`);
}

const post = (context: ConnectorContext, path: string, body: unknown) =>
  siteRequest(context, path, { method: "POST", body: JSON.stringify(body), contentType: "application/json" });

export const sandboxBankConnector: Connector = {
  id: "sandbox-bank",

  async login(context) {
    context.session = {};
    const { login, password } = context.fields;
    return loginResult(await post(context, "login", { username: login, password }));
  },

  async answer(context, answers) {
    return loginResult(await post(context, "twofa", { answers }));
  },

  async listAccounts(context) {
    const response = await siteRequest(context, "accounts");
    check(response);
    const body = json<{ accounts?: ConnectorAccount[] }>(response);
    if (!Array.isArray(body.accounts))
      throw new ConnectorFailure(CredentialStatus.Error, "no account list in the answer");
    return body.accounts;
  },

  async listTransactions(context, account, since): Promise<TransactionBatch> {
    const history = context.session.historyRequested === true ? "&history=full" : "";
    const response = await siteRequest(
      context,
      `accounts/${encodeURIComponent(account.externalId)}/transactions?from=${since}${history}`,
    );
    if (response.status === 500 && json<ErrorAnswer>(response).error === "account_unavailable")
      return { transactions: [], coverage: "unreadable", history: "ready" };
    check(response);
    const body = json<Partial<TransactionBatch>>(response);
    if (!Array.isArray(body.transactions))
      throw new ConnectorFailure(CredentialStatus.Error, "no transaction list in the answer");
    if (body.history === "loading") context.session.historyRequested = true;
    return {
      transactions: body.transactions,
      coverage: body.coverage === "partial" ? "partial" : "complete",
      history: body.history === "loading" ? "loading" : "ready",
    };
  },
};
