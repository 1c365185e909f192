import { formatOfxDate } from "./ofx-date.ts";
import { element, leaf, type OfxNode } from "./ofx-tree.ts";

/** Request documents an OFX client sends (signon, account information, statements, MFA). */
export interface SignonInput {
  readonly userId: string;
  readonly password: string;
  readonly org: string;
  readonly fid: string;
  readonly now: number;
  /** The application the server is told it talks to (default QWIN 2700, see ofx-options.ts). */
  readonly appId?: string;
  readonly appVer?: string;
  /** Sent only to servers of OFX 1.0.3 / 2.0.3 and later. */
  readonly clientUid?: string;
  /** Answers to MFA phrases, by phrase id: they ride along in every signon once known. */
  readonly mfaAnswers?: Readonly<Record<string, string>>;
}

export function signon(input: SignonInput, withChallengeRequest = false): OfxNode {
  const answers = Object.entries(input.mfaAnswers ?? {}).map(([id, answer]) =>
    element("MFACHALLENGEANSWER", leaf("MFAPHRASEID", id), leaf("MFAPHRASEA", answer)),
  );
  return element(
    "SIGNONMSGSRQV1",
    element(
      "SONRQ",
      leaf("DTCLIENT", formatOfxDate(input.now)),
      leaf("USERID", input.userId),
      leaf("USERPASS", input.password),
      leaf("LANGUAGE", "ENG"),
      element("FI", leaf("ORG", input.org), leaf("FID", input.fid)),
      leaf("APPID", input.appId ?? "QWIN"),
      leaf("APPVER", input.appVer ?? "2700"),
      input.clientUid === undefined ? undefined : leaf("CLIENTUID", input.clientUid),
      // The element order is the specification's (OFX 2.2 §2.5.1.2): answers come last.
      ...answers,
    ),
    withChallengeRequest
      ? element(
          "MFACHALLENGETRNRQ",
          leaf("TRNUID", `${input.now}`),
          element("MFACHALLENGERQ", leaf("DTCLIENT", formatOfxDate(input.now))),
        )
      : undefined,
  );
}

export function accountInfoRequest(input: SignonInput): OfxNode {
  return element(
    "OFX",
    signon(input),
    element(
      "SIGNUPMSGSRQV1",
      element(
        "ACCTINFOTRNRQ",
        leaf("TRNUID", `${input.now}`),
        element("ACCTINFORQ", leaf("DTACCTUP", "19700101")),
      ),
    ),
  );
}

/** The OFX convention for a request made before any login (a profile request): user and password. */
export const ANONYMOUS_USER = "anonymous00000000000000000000000";

/** The anonymous profile request (OFX 2.2 §7.1.5): what the server supports, before any login. */
export function profileRequest(input: SignonInput): OfxNode {
  return element(
    "OFX",
    signon(input),
    element(
      "PROFMSGSRQV1",
      element(
        "PROFTRNRQ",
        leaf("TRNUID", `${input.now}`),
        element("PROFRQ", leaf("CLIENTROUTING", "NONE"), leaf("DTPROFUP", "19900101")),
      ),
    ),
  );
}

export function challengeRequest(input: SignonInput): OfxNode {
  return element("OFX", signon(input, true));
}

export interface StatementAccount {
  readonly kind: string;
  readonly accountId: string;
  readonly bankId?: string;
}

export function statementRequest(input: SignonInput, account: StatementAccount, since: string): OfxNode {
  const start = leaf("DTSTART", since.replaceAll("-", ""));
  const include = element("INCTRAN", start, leaf("INCLUDE", "Y"));
  const trnuid = leaf("TRNUID", `${input.now}`);
  if (account.kind === "creditcard")
    return element(
      "OFX",
      signon(input),
      element(
        "CREDITCARDMSGSRQV1",
        element(
          "CCSTMTTRNRQ",
          trnuid,
          element("CCSTMTRQ", element("CCACCTFROM", leaf("ACCTID", account.accountId)), include),
        ),
      ),
    );
  return element(
    "OFX",
    signon(input),
    element(
      "BANKMSGSRQV1",
      element(
        "STMTTRNRQ",
        trnuid,
        element(
          "STMTRQ",
          element(
            "BANKACCTFROM",
            leaf("BANKID", account.bankId ?? ""),
            leaf("ACCTID", account.accountId),
            leaf("ACCTTYPE", account.kind.toUpperCase()),
          ),
          include,
        ),
      ),
    ),
  );
}

/** An investment statement request (OFX 2.2 §13.9.1.1): transactions since, positions, balance. */
export function investmentStatementRequest(
  input: SignonInput,
  account: StatementAccount,
  since: string,
): OfxNode {
  return element(
    "OFX",
    signon(input),
    element(
      "INVSTMTMSGSRQV1",
      element(
        "INVSTMTTRNRQ",
        leaf("TRNUID", `${input.now}`),
        element(
          "INVSTMTRQ",
          element("INVACCTFROM", leaf("BROKERID", account.bankId ?? ""), leaf("ACCTID", account.accountId)),
          element("INCTRAN", leaf("DTSTART", since.replaceAll("-", "")), leaf("INCLUDE", "Y")),
          leaf("INCOO", "N"),
          element("INCPOS", leaf("INCLUDE", "Y")),
          leaf("INCBAL", "Y"),
        ),
      ),
    ),
  );
}
