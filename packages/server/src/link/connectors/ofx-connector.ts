import { createHash, randomUUID } from "node:crypto";
import { CredentialStatus } from "@tessera/codes";
import { clientUid, ofxOptions, sendsClientUid } from "../ofx/ofx-options.ts";
import {
  accountInfoRequest,
  challengeRequest,
  investmentStatementRequest,
  type SignonInput,
  statementRequest,
} from "../ofx/ofx-requests.ts";
import type { OfxNode } from "../ofx/ofx-tree.ts";
import { OfxParseError, parseOfx } from "../ofx/parse-ofx.ts";
import {
  type OfxAccount,
  readAccountInfo,
  readMfaChallenges,
  readSignon,
  readStatements,
} from "../ofx/read-ofx.ts";
import { renderOfx } from "../ofx/render-ofx.ts";
import { credentialStatusForOfx } from "../ofx/signon-status.ts";
import { type Connector, type ConnectorContext, ConnectorFailure, type LoginResult } from "./connector.ts";
import { investmentBatch } from "./ofx-investment-batch.ts";
import { failOnUnavailable, type SiteResponse, siteRequest } from "./site-http.ts";

/**
 * OFX Direct Connect: every request signs on again (OFX is stateless); the MFA answers, once
 * accepted, are kept in the encrypted session and sent with each signon. Code 3000 starts the
 * challenge exchange, which becomes a second-factor question.
 */
const accountKinds: Record<string, string> = {
  checking: "checking",
  savings: "savings",
  moneymrkt: "savings",
  cd: "savings",
  creditline: "loan",
  creditcard: "credit-card",
  investment: "investment",
};

/** The site login: `login` is the field's name; `username`, its first name, still works for one release. */
export const ofxLogin = (fields: Readonly<Record<string, string>>) => fields.login ?? fields.username ?? "";

export function signonInput(context: ConnectorContext): SignonInput {
  const { fields, site } = context;
  const options = ofxOptions(site);
  const answers = context.session.mfaAnswers as Record<string, string> | undefined;
  const login = ofxLogin(fields);
  return {
    userId: login,
    password: fields.password ?? "",
    org: options.org,
    fid: options.fid,
    appId: options.appId,
    appVer: options.appVer,
    ...(sendsClientUid(options.version) ? { clientUid: clientUid(site.id, login) } : {}),
    now: Date.now(),
    ...(answers === undefined ? {} : { mfaAnswers: answers }),
  };
}

/** One OFX request in the site's version, answered as HTTP (the connection test reads it so). */
export function exchangeText(
  context: ConnectorContext,
  request: OfxNode,
  uid: string,
): Promise<SiteResponse> {
  return siteRequest(context, "", {
    method: "POST",
    body: renderOfx(request, ofxOptions(context.site).version, uid),
    contentType: "application/x-ofx",
  });
}

/** One OFX request and its answer's text; HTTP failures become credential statuses. */
async function exchangeOk(context: ConnectorContext, request: OfxNode): Promise<string> {
  const response = await exchangeText(context, request, randomUUID().replaceAll("-", ""));
  failOnUnavailable(response);
  if (response.status !== 200)
    throw new ConnectorFailure(CredentialStatus.Error, `the OFX server answered HTTP ${response.status}`);
  return response.text;
}

/** One OFX request and its parsed answer; an answer that is not OFX is an Error. */
async function exchange(context: ConnectorContext, request: OfxNode): Promise<OfxNode> {
  const answer = await exchangeOk(context, request);
  try {
    return parseOfx(answer).root;
  } catch (error) {
    throw new ConnectorFailure(CredentialStatus.Error, `unreadable OFX answer: ${(error as Error).message}`);
  }
}

async function signOn(context: ConnectorContext): Promise<LoginResult> {
  const input = signonInput(context);
  const root = await exchange(context, accountInfoRequest(input));
  const status = readSignon(root);
  if (status === undefined)
    throw new ConnectorFailure(CredentialStatus.Error, "no signon status in the OFX answer");
  if (status.code === 3000) {
    const challenges = readMfaChallenges(await exchange(context, challengeRequest(input)));
    if (challenges.length === 0)
      throw new ConnectorFailure(
        CredentialStatus.LoginError,
        "MFA required but no challenge questions were sent",
      );
    return {
      kind: "twofa",
      fields: challenges.map((c) => ({ name: c.phraseId, type: "token" as const, label: c.label })),
    };
  }
  if (status.code !== 0)
    throw new ConnectorFailure(
      credentialStatusForOfx(status.code),
      `OFX signon ${status.code}: ${status.message ?? ""}`,
    );
  context.session.accounts = readAccountInfo(root);
  return { kind: "ok" };
}

function accountsOf(context: ConnectorContext): OfxAccount[] {
  return (context.session.accounts ?? []) as OfxAccount[];
}

export const ofxConnector: Connector = {
  id: "ofx",

  async login(context) {
    context.session = {};
    return signOn(context);
  },

  async answer(context, answers) {
    context.session.mfaAnswers = { ...answers };
    return signOn(context);
  },

  async listAccounts(context) {
    const { accountTypes, currency } = ofxOptions(context.site);
    const listed = accountsOf(context).filter((a) => accountTypes === undefined || accountTypes.has(a.kind));
    return listed.map((a) => ({
      externalId: a.accountId,
      name: a.description ?? `${a.kind} ${a.accountId.slice(-4)}`,
      kind: accountKinds[a.kind] ?? "other",
      currency,
      numberMask: `…${a.accountId.slice(-4)}`,
    }));
  },

  async listTransactions(context, account, since) {
    const known = accountsOf(context).find((a) => a.accountId === account.externalId);
    if (known === undefined) return { transactions: [], coverage: "unreadable", history: "ready" };
    const investment = known.kind === "investment";
    const request = investment ? investmentStatementRequest : statementRequest;
    const answer = await exchangeOk(context, request(signonInput(context), known, since));
    let root: OfxNode;
    try {
      root = parseOfx(answer).root;
    } catch (error) {
      // One account's statement that cannot be parsed (cut short, too large, too deep) makes that
      // account unreadable (Incomplete, with the reason), not the whole job an Error.
      if (!(error instanceof OfxParseError)) throw error;
      const problem = `unreadable OFX statement: ${error.message}`;
      return { transactions: [], coverage: "unreadable", history: "ready", problem };
    }
    const signon = readSignon(root);
    if (signon !== undefined && signon.code !== 0)
      throw new ConnectorFailure(credentialStatusForOfx(signon.code), `OFX signon ${signon.code}`);
    if (investment) return investmentBatch(root, known.accountId, since);
    // The statement of the account asked for: a server may answer with several (one file for all).
    const statements = readStatements(root);
    const statement =
      statements.find((s) => s.account?.accountId === known.accountId) ??
      statements.find((s) => s.account === undefined);
    if (statement === undefined || statement.status.code !== 0)
      return { transactions: [], coverage: "unreadable", history: "ready" };
    // A transaction or balance that is not what OFX allows makes the whole statement unreadable
    // (Incomplete, with the field and line): storing part of it would leave the balance wrong.
    if (statement.problem !== undefined)
      return { transactions: [], coverage: "unreadable", history: "ready", problem: statement.problem };
    return {
      transactions: statement.transactions.map((t) => ({
        externalId:
          t.fitId ||
          createHash("sha256")
            .update(`${t.posted}|${t.amount}|${t.name ?? ""}|${t.memo ?? ""}`)
            .digest("hex")
            .slice(0, 32),
        postedOn: t.posted,
        amount: t.amount,
        description: t.name ?? t.memo ?? t.type ?? "",
        ...(t.memo === undefined ? {} : { memo: t.memo }),
        ...(t.type === undefined ? {} : { kind: t.type.toLowerCase() }),
      })),
      // A server that answers for a shorter period than asked gives only part of the history.
      coverage: statement.start !== undefined && statement.start > since ? "partial" : "complete",
      history: "ready",
      ...(statement.balance === undefined ? {} : { balance: statement.balance }),
    };
  },
};
