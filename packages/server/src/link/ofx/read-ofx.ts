import { parseOfxDate } from "./ofx-date.ts";
import { descendants, find, type OfxNode, text } from "./ofx-tree.ts";
import { readInvestmentAccount } from "./read-investment.ts";

export interface OfxStatus {
  readonly code: number;
  readonly severity: string;
  readonly message?: string;
}

export interface OfxAccount {
  /** checking | savings | moneymrkt | creditline | cd | creditcard | investment */
  readonly kind: string;
  readonly accountId: string;
  readonly bankId?: string;
  readonly branchId?: string;
  readonly description?: string;
}

export interface OfxTransaction {
  readonly fitId: string;
  readonly type?: string;
  /** YYYY-MM-DD as written in the file. */
  readonly posted: string;
  /** Decimal text exactly as in the file. */
  readonly amount: string;
  readonly name?: string;
  readonly memo?: string;
  readonly checkNumber?: string;
}

export interface OfxStatement {
  readonly status: OfxStatus;
  readonly account?: OfxAccount;
  readonly currency?: string;
  readonly balance?: string;
  /** The first day the statement covers (BANKTRANLIST DTSTART), YYYY-MM-DD. */
  readonly start?: string;
  readonly transactions: readonly OfxTransaction[];
  /**
   * Why the statement cannot be trusted, naming the field and its line: a transaction without a
   * valid date or amount, a balance that is not an amount. The statement is then unreadable as a
   * whole (its balance would not match what was stored), never read with a default.
   */
  readonly problem?: string;
}

export interface MfaChallenge {
  readonly phraseId: string;
  readonly label: string;
}

export function readStatus(node: OfxNode | undefined): OfxStatus | undefined {
  const code = text(node, "STATUS", "CODE");
  if (code === undefined || !/^\d+$/.test(code)) return undefined;
  const message = text(node, "STATUS", "MESSAGE");
  return {
    code: Number(code),
    severity: text(node, "STATUS", "SEVERITY") ?? "INFO",
    ...(message === undefined ? {} : { message }),
  };
}

/** The signon status; a response without one is malformed. */
export function readSignon(root: OfxNode): OfxStatus | undefined {
  return readStatus(find(root, "SIGNONMSGSRSV1", "SONRS"));
}

export function readMfaChallenges(root: OfxNode): MfaChallenge[] {
  return descendants(root, "MFACHALLENGE").flatMap((node) => {
    const phraseId = text(node, "MFAPHRASEID");
    return phraseId === undefined ? [] : [{ phraseId, label: text(node, "MFAPHRASELABEL") ?? phraseId }];
  });
}

function readAccountFrom(node: OfxNode | undefined, creditCard: boolean): OfxAccount | undefined {
  const accountId = text(node, "ACCTID");
  if (node === undefined || accountId === undefined) return undefined;
  const bankId = text(node, "BANKID");
  const branchId = text(node, "BRANCHID");
  return {
    kind: creditCard ? "creditcard" : (text(node, "ACCTTYPE") ?? "checking").toLowerCase(),
    accountId,
    ...(bankId === undefined ? {} : { bankId }),
    ...(branchId === undefined ? {} : { branchId }),
  };
}

/** Accounts listed in an account-information response (ACCTINFORS). */
export function readAccountInfo(root: OfxNode): OfxAccount[] {
  return descendants(root, "ACCTINFO").flatMap((info) => {
    const description = text(info, "DESC");
    const bank = readAccountFrom(find(info, "BANKACCTINFO", "BANKACCTFROM"), false);
    const card = readAccountFrom(find(info, "CCACCTINFO", "CCACCTFROM"), true);
    const account = bank ?? card ?? readInvestmentAccount(find(info, "INVACCTINFO", "INVACCTFROM"));
    return account === undefined
      ? []
      : [{ ...account, ...(description === undefined ? {} : { description }) }];
  });
}

/** OFX amounts: a sign, digits and a decimal point; `$120`, `-1.006,60` and `null` are not amounts. */
const amountPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const maxAmountChars = 32;

/** Where a field is, for a message: "DTPOSTED (line 42)", or the aggregate's line when the field is absent. */
function problemAt(owner: OfxNode, field: string, problem: string): string {
  const node = find(owner, field);
  const line = node?.line ?? owner.line;
  return `${owner.name} ${field}${line === undefined ? "" : ` (line ${line})`}: ${problem}`;
}

function checkedAmount(
  owner: OfxNode,
  field: string,
  problems: string[],
  required = true,
): string | undefined {
  const value = text(owner, field);
  if (value === undefined) {
    if (required) problems.push(problemAt(owner, field, "missing"));
  } else if (value.length > maxAmountChars || !amountPattern.test(value))
    problems.push(problemAt(owner, field, `${JSON.stringify(value.slice(0, 40))} is not an OFX amount`));
  else return value;
  return undefined;
}

function checkedDate(
  owner: OfxNode,
  field: string,
  problems: string[],
  required: boolean,
): string | undefined {
  const value = text(owner, field);
  if (value === undefined) {
    if (required) problems.push(problemAt(owner, field, "missing"));
    return undefined;
  }
  const date = parseOfxDate(value);
  if (date === undefined)
    problems.push(problemAt(owner, field, `${JSON.stringify(value.slice(0, 40))} is not an OFX date`));
  return date?.date;
}

function readTransaction(node: OfxNode, problems: string[]): OfxTransaction | undefined {
  const posted = checkedDate(node, "DTPOSTED", problems, true);
  const amount = checkedAmount(node, "TRNAMT", problems);
  if (posted === undefined || amount === undefined) return undefined;
  const optional = {
    type: text(node, "TRNTYPE"),
    name: text(node, "NAME"),
    memo: text(node, "MEMO"),
    checkNumber: text(node, "CHECKNUM"),
  };
  return {
    fitId: text(node, "FITID") ?? "",
    posted,
    amount,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  };
}

function problemOf(problems: readonly string[]): { problem?: string } {
  if (problems.length === 0) return {};
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
  return { problem: `${problems[0]}${more}` };
}

/** Bank (STMTTRNRS) and credit-card (CCSTMTTRNRS) statements, in document order. */
export function readStatements(root: OfxNode): OfxStatement[] {
  const wrappers = [...descendants(root, "STMTTRNRS"), ...descendants(root, "CCSTMTTRNRS")];
  return wrappers.map((wrapper) => {
    const creditCard = wrapper.name === "CCSTMTTRNRS";
    const statement = find(wrapper, creditCard ? "CCSTMTRS" : "STMTRS");
    const account = readAccountFrom(find(statement, creditCard ? "CCACCTFROM" : "BANKACCTFROM"), creditCard);
    const currency = text(statement, "CURDEF");
    const problems: string[] = [];
    const status = readStatus(wrapper);
    if (status === undefined) problems.push(problemAt(wrapper, "STATUS", "no numeric CODE"));
    const ledger = find(statement, "LEDGERBAL");
    // An empty balance (a real bank's file has one) is no balance: nothing is stored for it.
    const balance = ledger === undefined ? undefined : checkedAmount(ledger, "BALAMT", problems, false);
    const list = find(statement, "BANKTRANLIST");
    const start = list === undefined ? undefined : checkedDate(list, "DTSTART", problems, false);
    const transactions = (list?.children ?? [])
      .filter((n) => n.name === "STMTTRN")
      .map((n) => readTransaction(n, problems))
      .filter((t): t is OfxTransaction => t !== undefined);
    return {
      status: status ?? { code: 0, severity: "INFO" },
      ...(account === undefined ? {} : { account }),
      ...(currency === undefined ? {} : { currency }),
      ...(balance === undefined ? {} : { balance }),
      ...(start === undefined ? {} : { start }),
      transactions,
      ...problemOf(problems),
    };
  });
}

export interface OfxSignonRealm {
  readonly realm: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  /** The server may ask MFA challenge questions (MFACHALLENGESUPT). */
  readonly mfa: boolean;
  /** The server wants a CLIENTUID in every signon (CLIENTUIDREQ). */
  readonly clientUidRequired: boolean;
}

export interface OfxProfile {
  readonly status?: OfxStatus;
  readonly institution?: string;
  /** The message sets the server supports, by name: SIGNON, SIGNUP, BANK, CREDITCARD, INVSTMT… */
  readonly messageSets: readonly string[];
  readonly signonRealms: readonly OfxSignonRealm[];
}

/** The answer to a profile request (PROFRS): what the server says it supports. */
export function readProfile(root: OfxNode): OfxProfile | undefined {
  const transaction = find(root, "PROFMSGSRSV1", "PROFTRNRS");
  if (transaction === undefined) return undefined;
  const profile = find(transaction, "PROFRS");
  const status = readStatus(transaction);
  const institution = text(profile, "FINAME");
  const number = (node: OfxNode, name: string) => {
    const value = text(node, name);
    return value === undefined || !/^\d+$/.test(value)
      ? {}
      : { [name === "MIN" ? "minLength" : "maxLength"]: Number(value) };
  };
  return {
    ...(status === undefined ? {} : { status }),
    ...(institution === undefined ? {} : { institution }),
    messageSets: (find(profile, "MSGSETLIST")?.children ?? []).map((set) => set.name.replace(/MSGSET$/, "")),
    signonRealms: (profile === undefined ? [] : descendants(profile, "SIGNONINFO")).map((info) => ({
      realm: text(info, "SIGNONREALM") ?? "",
      ...number(info, "MIN"),
      ...number(info, "MAX"),
      mfa: text(info, "MFACHALLENGESUPT") === "Y",
      clientUidRequired: text(info, "CLIENTUIDREQ") === "Y",
    })),
  };
}
