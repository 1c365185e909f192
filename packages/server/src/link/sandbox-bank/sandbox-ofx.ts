import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { formatOfxDate } from "../ofx/ofx-date.ts";
import { type OfxVersion, sgmlVersions, xmlVersions } from "../ofx/ofx-options.ts";
import { ANONYMOUS_USER } from "../ofx/ofx-requests.ts";
import { element, find, leaf, type OfxNode, text } from "../ofx/ofx-tree.ts";
import { OfxParseError, parseOfx } from "../ofx/parse-ofx.ts";
import { renderOfx } from "../ofx/render-ofx.ts";
import { BROKER_ID, investmentStatement } from "./sandbox-brokerage.ts";
import { accountsFor, type SandboxAccount, transactionsFor } from "./sandbox-data.ts";
import { judgeLogin, type LoginVerdict } from "./sandbox-login.ts";
import { firstTry, type SandboxSite, stall } from "./sandbox-site.ts";
import { TOKEN_ANSWER } from "./test-logins.ts";

/**
 * The Sandbox Bank's OFX Direct Connect server: the same test logins, answered with OFX signon
 * codes. Every second-factor scenario becomes the MFA challenge exchange (code 3000) with one
 * phrase, MFA13, whose answer is the token 123456. It answers in the dialect it was asked in.
 */
const BANK_ID = "999999999";
const MFA_PHRASE = "MFA13";

export const status = (code: number, message?: string) =>
  element(
    "STATUS",
    leaf("CODE", code),
    leaf("SEVERITY", code === 0 ? "INFO" : "ERROR"),
    message === undefined ? undefined : leaf("MESSAGE", message),
  );

function signonResponse(code: number, now: number, message?: string): OfxNode {
  return element(
    "SIGNONMSGSRSV1",
    element(
      "SONRS",
      status(code, message),
      leaf("DTSERVER", formatOfxDate(now)),
      leaf("LANGUAGE", "ENG"),
      element("FI", leaf("ORG", "SANDBOX"), leaf("FID", "9999")),
    ),
  );
}

const signonCodes: Record<string, number> = {
  invalid_credentials: 15500,
  wrong_site: 15500,
  locked: 15502,
  session_active: 15501,
  action_required: 15000,
};

function verdictCode(verdict: LoginVerdict): number | undefined {
  if (verdict.kind === "refused") return signonCodes[verdict.error] ?? 15500;
  if (verdict.kind === "garbage") return 2000;
  if (verdict.kind === "unknown-step") return 15506;
  return undefined;
}

function accountInfo(accounts: SandboxAccount[]): OfxNode {
  return element(
    "ACCTINFORS",
    leaf("DTACCTUP", "20260101"),
    ...accounts.map((a) =>
      element(
        "ACCTINFO",
        leaf("DESC", a.name),
        a.kind === "investment"
          ? element(
              "INVACCTINFO",
              element("INVACCTFROM", leaf("BROKERID", BROKER_ID), leaf("ACCTID", a.externalId)),
              leaf("USPRODUCTTYPE", "TAXABLE"),
              leaf("CHECKING", "N"),
              leaf("SVCSTATUS", "ACTIVE"),
              leaf("INVACCTTYPE", "INDIVIDUAL"),
            )
          : a.kind === "credit-card"
            ? element(
                "CCACCTINFO",
                element("CCACCTFROM", leaf("ACCTID", a.externalId)),
                leaf("SUPTXDL", "Y"),
                leaf("XFERSRC", "N"),
                leaf("XFERDEST", "N"),
                leaf("SVCSTATUS", "ACTIVE"),
              )
            : element(
                "BANKACCTINFO",
                element(
                  "BANKACCTFROM",
                  leaf("BANKID", BANK_ID),
                  leaf("ACCTID", a.externalId),
                  leaf("ACCTTYPE", "CHECKING"),
                ),
                leaf("SUPTXDL", "Y"),
                leaf("XFERSRC", "Y"),
                leaf("XFERDEST", "Y"),
                leaf("SVCSTATUS", "ACTIVE"),
              ),
      ),
    ),
  );
}

function statement(
  scenario: LoginVerdict & { kind: "in" },
  request: OfxNode,
  creditCard: boolean,
  now: number,
): OfxNode {
  const wrapper = creditCard ? "CCSTMTTRNRS" : "STMTTRNRS";
  const rq = find(request, creditCard ? "CCSTMTRQ" : "STMTRQ");
  const accountId = text(rq, creditCard ? "CCACCTFROM" : "BANKACCTFROM", "ACCTID") ?? "";
  const trnuid = leaf("TRNUID", text(request, "TRNUID") ?? "0");
  const account = accountsFor(scenario.scenario).find((a) => a.externalId === accountId);
  if (account === undefined) return element(wrapper, trnuid, status(2003, "Account not found"));
  if (scenario.scenario === "incomplete" && creditCard)
    return element(wrapper, trnuid, status(2000, "General error"));
  const asked = text(rq, "INCTRAN", "DTSTART") ?? "19700101";
  let start = `${asked.slice(0, 4)}-${asked.slice(4, 6)}-${asked.slice(6, 8)}`;
  if (scenario.scenario === "partial") {
    const recent = new Date(now - 30 * 86_400_000).toISOString().slice(0, 10);
    if (recent > start) start = recent;
  }
  const transactions = transactionsFor(scenario.scenario, accountId, now).filter((t) => t.postedOn >= start);
  return element(
    wrapper,
    trnuid,
    status(0),
    element(
      creditCard ? "CCSTMTRS" : "STMTRS",
      leaf("CURDEF", account.currency),
      creditCard
        ? element("CCACCTFROM", leaf("ACCTID", accountId))
        : element(
            "BANKACCTFROM",
            leaf("BANKID", BANK_ID),
            leaf("ACCTID", accountId),
            leaf("ACCTTYPE", "CHECKING"),
          ),
      element(
        "BANKTRANLIST",
        leaf("DTSTART", start.replaceAll("-", "")),
        leaf("DTEND", formatOfxDate(now)),
        ...transactions.map((t) =>
          element(
            "STMTTRN",
            leaf("TRNTYPE", t.kind.toUpperCase()),
            leaf("DTPOSTED", `${t.postedOn.replaceAll("-", "")}120000`),
            leaf("TRNAMT", t.amount),
            leaf("FITID", t.externalId),
            leaf("NAME", t.description),
            t.memo === undefined ? undefined : leaf("MEMO", t.memo),
          ),
        ),
      ),
      element("LEDGERBAL", leaf("BALAMT", account.balance), leaf("DTASOF", formatOfxDate(now))),
    ),
  );
}

const messageSet = (name: string) =>
  element(
    `${name}MSGSET`,
    element(
      `${name}MSGSETV1`,
      element(
        "MSGSETCORE",
        leaf("VER", "1"),
        leaf("URL", "https://sandbox.invalid/ofx"),
        leaf("OFXSEC", "NONE"),
        leaf("TRANSPSEC", "Y"),
        leaf("SIGNONREALM", "SANDBOX"),
        leaf("LANGUAGE", "ENG"),
        leaf("SYNCMODE", "LITE"),
        leaf("RESPFILEER", "N"),
      ),
    ),
  );

/** What the Sandbox Bank says it supports (OFX 2.2 §7.2): banking, credit cards, investments, MFA challenges. */
function profile(request: OfxNode): OfxNode {
  return element(
    "PROFMSGSRSV1",
    element(
      "PROFTRNRS",
      leaf("TRNUID", text(request, "TRNUID") ?? "0"),
      status(0),
      element(
        "PROFRS",
        element(
          "MSGSETLIST",
          ...["SIGNON", "SIGNUP", "BANK", "CREDITCARD", "INVSTMT", "SECLIST", "PROF"].map(messageSet),
        ),
        element(
          "SIGNONINFOLIST",
          element(
            "SIGNONINFO",
            leaf("SIGNONREALM", "SANDBOX"),
            leaf("MIN", "1"),
            leaf("MAX", "32"),
            leaf("CHARTYPE", "ALPHAORNUMERIC"),
            leaf("CASESEN", "N"),
            leaf("SPECIAL", "Y"),
            leaf("SPACES", "N"),
            leaf("PINCH", "N"),
            leaf("CHGPINFIRST", "N"),
            leaf("MFACHALLENGESUPT", "Y"),
            leaf("MFACHALLENGEFIRST", "N"),
            leaf("CLIENTUIDREQ", "N"),
          ),
        ),
        leaf("DTPROFUP", "20260101"),
        leaf("FINAME", "Sandbox Bank"),
        leaf("ADDR1", "1 Sandbox Way"),
        leaf("CITY", "Testville"),
        leaf("STATE", "CA"),
        leaf("POSTALCODE", "00000"),
        leaf("COUNTRY", "USA"),
      ),
    ),
  );
}

const versions: readonly string[] = [...sgmlVersions, ...xmlVersions];

export const sandboxOfx: FastifyPluginAsync<{ site: SandboxSite }> = async (app, { site }) => {
  app.addContentTypeParser(
    ["application/x-ofx", "application/ofx"],
    { parseAs: "string" },
    (_request, body, done) => done(null, body),
  );

  app.post("/ofx", async (request, reply: FastifyReply) => {
    const now = site.clock.now();
    let root: OfxNode;
    let dialect: OfxVersion;
    try {
      const document = parseOfx(String(request.body ?? ""));
      root = document.root;
      // Answered in the version asked, as servers do (one of its major version when unknown).
      dialect = versions.includes(document.version)
        ? (document.version as OfxVersion)
        : document.major === "1"
          ? "102"
          : "220";
    } catch (error) {
      if (error instanceof OfxParseError) return reply.code(400).type("text/plain").send(error.message);
      throw error;
    }
    const send = (...messages: OfxNode[]) =>
      reply.type("application/x-ofx").send(renderOfx(element("OFX", ...messages), dialect));
    const sonrq = find(root, "SIGNONMSGSRQV1", "SONRQ");
    const username = text(sonrq, "USERID") ?? "";
    const profileRequest = find(root, "PROFMSGSRQV1", "PROFTRNRQ");
    if (profileRequest !== undefined && username === ANONYMOUS_USER)
      return send(signonResponse(0, now), profile(profileRequest));
    const verdict = judgeLogin(
      "personal",
      username,
      text(sonrq, "USERPASS") ?? "",
      firstTry(site, "personal", username),
    );
    if (verdict.kind === "stall") return stall(site, reply).then(() => reply);
    if (verdict.kind === "unavailable") {
      if (verdict.retryAfterSeconds !== undefined)
        reply.header("retry-after", String(verdict.retryAfterSeconds));
      return reply.code(503).type("text/plain").send("service unavailable");
    }
    const failed = verdictCode(verdict);
    if (failed !== undefined) return send(signonResponse(failed, now));
    if (verdict.kind === "twofa") {
      const answer = sonrq?.children.find(
        (c) => c.name === "MFACHALLENGEANSWER" && text(c, "MFAPHRASEID") === MFA_PHRASE,
      );
      if (answer === undefined) {
        const challenge = find(root, "SIGNONMSGSRQV1", "MFACHALLENGETRNRQ");
        if (challenge === undefined)
          return send(signonResponse(3000, now, "MFA challenge authentication is required"));
        return send(
          element(
            "SIGNONMSGSRSV1",
            find(signonResponse(0, now), "SONRS") as OfxNode,
            element(
              "MFACHALLENGETRNRS",
              leaf("TRNUID", text(challenge, "TRNUID") ?? "0"),
              status(0),
              element(
                "MFACHALLENGERS",
                element(
                  "MFACHALLENGE",
                  leaf("MFAPHRASEID", MFA_PHRASE),
                  leaf("MFAPHRASELABEL", "Enter the code your security device shows"),
                ),
              ),
            ),
          ),
        );
      }
      if (text(answer, "MFAPHRASEA") !== TOKEN_ANSWER)
        return send(signonResponse(3001, now, "MFA challenge information is invalid"));
    }
    const signedIn = {
      kind: "in" as const,
      scenario: verdict.kind === "twofa" || verdict.kind === "in" ? verdict.scenario : "good",
    };
    const messages: OfxNode[] = [signonResponse(0, now)];
    const acctinfo = find(root, "SIGNUPMSGSRQV1", "ACCTINFOTRNRQ");
    if (acctinfo !== undefined)
      messages.push(
        element(
          "SIGNUPMSGSRSV1",
          element(
            "ACCTINFOTRNRS",
            leaf("TRNUID", text(acctinfo, "TRNUID") ?? "0"),
            status(0),
            accountInfo(accountsFor(signedIn.scenario)),
          ),
        ),
      );
    if (profileRequest !== undefined) messages.push(profile(profileRequest));
    const bank = find(root, "BANKMSGSRQV1", "STMTTRNRQ");
    if (bank !== undefined) messages.push(element("BANKMSGSRSV1", statement(signedIn, bank, false, now)));
    const card = find(root, "CREDITCARDMSGSRQV1", "CCSTMTTRNRQ");
    if (card !== undefined)
      messages.push(element("CREDITCARDMSGSRSV1", statement(signedIn, card, true, now)));
    const invest = find(root, "INVSTMTMSGSRQV1", "INVSTMTTRNRQ");
    if (invest !== undefined) messages.push(...investmentStatement(signedIn.scenario, invest, now));
    return send(...messages);
  });
};
