import { parseOfxDate } from "./ofx-date.ts";
import { descendants, find, type OfxNode, text } from "./ofx-tree.ts";
import { type OfxAccount, type OfxStatus, readStatus } from "./read-ofx.ts";

/**
 * Investment statements (INVSTMTRS, OFX 2.2 §13): positions, investment transactions, cash
 * transactions (INVBANKTRAN) and the securities list (SECLIST). Values are kept as the file wrote
 * them; a value that breaks the OFX grammar or a bound is a problem named by field, never a
 * silent default: the caller treats a statement with problems as unreadable.
 */
export interface InvestmentPosition {
  readonly securityId: string;
  readonly securityIdType: string;
  /** CASH | MARGIN | SHORT | OTHER */
  readonly heldIn?: string;
  /** LONG | SHORT */
  readonly positionType?: string;
  readonly units: string;
  readonly unitPrice: string;
  readonly marketValue: string;
  /** DTPRICEASOF, YYYY-MM-DD. */
  readonly priceAsOf: string;
  readonly memo?: string;
}

export interface InvestmentTransaction {
  readonly fitId: string;
  /** buy | sell | income | reinvest | transfer | cash | other */
  readonly action: string;
  /** The OFX aggregate: BUYMF, SELLSTOCK, INCOME, INVBANKTRAN… */
  readonly ofxType: string;
  /** BUYTYPE, SELLTYPE, INCOMETYPE, TFERACTION or, for cash, TRNTYPE. */
  readonly subtype?: string;
  /** DTTRADE (DTPOSTED for cash), YYYY-MM-DD. */
  readonly tradeDate: string;
  readonly settleDate?: string;
  readonly securityId?: string;
  readonly securityIdType?: string;
  readonly units?: string;
  readonly unitPrice?: string;
  /** TOTAL (TRNAMT for cash): negative for money out of the account. */
  readonly total?: string;
  readonly description?: string;
}

export interface InvestmentSecurity {
  readonly securityId: string;
  readonly securityIdType: string;
  readonly name: string;
  readonly ticker?: string;
  /** mf | stock | debt | opt | other */
  readonly type: string;
}

export interface InvestmentStatement {
  readonly status: OfxStatus;
  readonly accountId?: string;
  readonly brokerId?: string;
  readonly currency?: string;
  /** INVBAL AVAILCASH: the cash available in the account. */
  readonly cash?: string;
  /** INVTRANLIST DTSTART, YYYY-MM-DD. */
  readonly start?: string;
  readonly positions: readonly InvestmentPosition[];
  readonly transactions: readonly InvestmentTransaction[];
  readonly securities: readonly InvestmentSecurity[];
  /** Values the statement cannot be stored with, each naming the element. */
  readonly problems: readonly string[];
}

/** Bounds of stored text (OFX 2.2 gives A-32 for ids, A-120 for names, A-255 for memos). */
export const investmentBounds = { id: 32, name: 120, memo: 255, decimal: 32 } as const;

/** The OFX amount grammar: an optional sign, digits, one decimal point. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

class Reader {
  readonly problems: string[] = [];

  decimal(node: OfxNode | undefined, name: string, required: boolean): string | undefined {
    const value = text(node, name)?.trim();
    if (value === undefined) {
      if (required) this.problems.push(`${node?.name ?? "?"}: ${name} is missing`);
      return undefined;
    }
    if (!DECIMAL.test(value) || value.length > investmentBounds.decimal) {
      this.problems.push(`${node?.name ?? "?"}: ${name} "${value.slice(0, 40)}" is not an OFX amount`);
      return undefined;
    }
    return value;
  }

  date(node: OfxNode | undefined, name: string, required: boolean): string | undefined {
    const raw = text(node, name);
    const parsed = parseOfxDate(raw);
    if (parsed === undefined && (required || raw !== undefined))
      this.problems.push(
        `${node?.name ?? "?"}: ${name} ${raw === undefined ? "is missing" : "is not an OFX date"}`,
      );
    return parsed?.date;
  }

  text(node: OfxNode | undefined, name: string, bound: number, required: boolean): string | undefined {
    const value = text(node, name)?.trim();
    if (value === undefined || value === "") {
      if (required) this.problems.push(`${node?.name ?? "?"}: ${name} is missing`);
      return undefined;
    }
    if (value.length > bound) {
      this.problems.push(`${node?.name ?? "?"}: ${name} is longer than ${bound} characters`);
      return undefined;
    }
    return value;
  }
}

const optional = (values: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));

function securityOf(reader: Reader, node: OfxNode | undefined, required: boolean) {
  const secid = find(node, "SECID");
  if (secid === undefined) {
    if (required) reader.problems.push(`${node?.name ?? "?"}: SECID is missing`);
    return undefined;
  }
  const securityId = reader.text(secid, "UNIQUEID", investmentBounds.id, true);
  const securityIdType = reader.text(secid, "UNIQUEIDTYPE", investmentBounds.id, true);
  return securityId === undefined || securityIdType === undefined
    ? undefined
    : { securityId, securityIdType };
}

function readPosition(reader: Reader, node: OfxNode): InvestmentPosition | undefined {
  const pos = find(node, "INVPOS");
  const security = securityOf(reader, pos, true);
  const units = reader.decimal(pos, "UNITS", true);
  const unitPrice = reader.decimal(pos, "UNITPRICE", true);
  const marketValue = reader.decimal(pos, "MKTVAL", true);
  const priceAsOf = reader.date(pos, "DTPRICEASOF", true);
  if ([security, units, unitPrice, marketValue, priceAsOf].includes(undefined)) return undefined;
  return {
    ...(security as { securityId: string; securityIdType: string }),
    units: units as string,
    unitPrice: unitPrice as string,
    marketValue: marketValue as string,
    priceAsOf: priceAsOf as string,
    ...optional({
      heldIn: reader.text(pos, "HELDINACCT", investmentBounds.id, false),
      positionType: reader.text(pos, "POSTYPE", investmentBounds.id, false),
      memo: reader.text(pos, "MEMO", investmentBounds.memo, false),
    }),
  };
}

function actionOf(name: string): string {
  if (name.startsWith("BUY")) return "buy";
  if (name.startsWith("SELL")) return "sell";
  if (name === "INCOME") return "income";
  if (name === "REINVEST") return "reinvest";
  if (name === "TRANSFER") return "transfer";
  return "other";
}

const subtypeElements = ["BUYTYPE", "SELLTYPE", "INCOMETYPE", "TFERACTION", "OPTBUYTYPE", "OPTSELLTYPE"];

function readCash(reader: Reader, node: OfxNode): InvestmentTransaction | undefined {
  const trn = find(node, "STMTTRN");
  const fitId = reader.text(trn, "FITID", 255, true);
  const tradeDate = reader.date(trn, "DTPOSTED", true);
  const total = reader.decimal(trn, "TRNAMT", true);
  if (fitId === undefined || tradeDate === undefined || total === undefined) return undefined;
  return {
    fitId,
    action: "cash",
    ofxType: "INVBANKTRAN",
    tradeDate,
    total,
    ...optional({
      subtype: reader.text(trn, "TRNTYPE", investmentBounds.id, false),
      description:
        reader.text(trn, "NAME", investmentBounds.memo, false) ??
        reader.text(trn, "MEMO", investmentBounds.memo, false),
    }),
  };
}

function readTrade(reader: Reader, node: OfxNode): InvestmentTransaction | undefined {
  // BUY*/SELL* wrap their common part in INVBUY/INVSELL; the others carry it directly.
  const body = find(node, "INVBUY") ?? find(node, "INVSELL") ?? node;
  const tran = find(body, "INVTRAN");
  const fitId = reader.text(tran, "FITID", 255, true);
  const tradeDate = reader.date(tran, "DTTRADE", true);
  const settleDate = reader.date(tran, "DTSETTLE", false);
  const security = securityOf(reader, body, false);
  const units = reader.decimal(body, "UNITS", false);
  const unitPrice = reader.decimal(body, "UNITPRICE", false);
  const total = reader.decimal(body, "TOTAL", false);
  if (fitId === undefined || tradeDate === undefined) return undefined;
  const subtypeName = subtypeElements.find(
    (name) => text(node, name) !== undefined || text(body, name) !== undefined,
  );
  return {
    fitId,
    action: actionOf(node.name),
    ofxType: node.name,
    tradeDate,
    ...(security ?? {}),
    ...optional({
      subtype:
        subtypeName === undefined
          ? undefined
          : reader.text(
              text(node, subtypeName) === undefined ? body : node,
              subtypeName,
              investmentBounds.id,
              false,
            ),
      settleDate,
      units,
      unitPrice,
      total,
      description: reader.text(tran, "MEMO", investmentBounds.memo, false),
    }),
  };
}

const securityTypes: Record<string, string> = {
  MFINFO: "mf",
  STOCKINFO: "stock",
  DEBTINFO: "debt",
  OPTINFO: "opt",
  OTHERINFO: "other",
};

/** The securities list (SECLIST), once per document; one id listed twice keeps the last. */
export function readSecurities(root: OfxNode): { securities: InvestmentSecurity[]; problems: string[] } {
  const reader = new Reader();
  const byId = new Map<string, InvestmentSecurity>();
  for (const list of descendants(root, "SECLIST"))
    for (const info of list.children) {
      const type = securityTypes[info.name];
      if (type === undefined) continue;
      const secinfo = find(info, "SECINFO");
      const security = securityOf(reader, secinfo, true);
      const name = reader.text(secinfo, "SECNAME", investmentBounds.name, true);
      if (security === undefined || name === undefined) continue;
      const ticker = reader.text(secinfo, "TICKER", investmentBounds.id, false);
      byId.set(`${security.securityIdType}\u0000${security.securityId}`, {
        ...security,
        name,
        type,
        ...(ticker === undefined ? {} : { ticker }),
      });
    }
  return { securities: [...byId.values()], problems: reader.problems };
}

/** Every investment statement (INVSTMTTRNRS) of the document, in document order. */
export function readInvestmentStatements(root: OfxNode): InvestmentStatement[] {
  const { securities, problems: listProblems } = readSecurities(root);
  return descendants(root, "INVSTMTTRNRS").map((wrapper) => {
    const reader = new Reader();
    const statement = find(wrapper, "INVSTMTRS");
    const from = find(statement, "INVACCTFROM");
    const list = find(statement, "INVTRANLIST");
    const transactions = (list?.children ?? [])
      // Vendor extensions (INTU.XXX: a dotted name, OFX 2.2 §2.7.1) are not transactions.
      .filter((n) => n.name !== "DTSTART" && n.name !== "DTEND" && !n.name.includes("."))
      .map((n) => (n.name === "INVBANKTRAN" ? readCash(reader, n) : readTrade(reader, n)))
      .filter((t): t is InvestmentTransaction => t !== undefined);
    const positions = (find(statement, "INVPOSLIST")?.children ?? [])
      .map((n) => readPosition(reader, n))
      .filter((p): p is InvestmentPosition => p !== undefined);
    const start = list === undefined ? undefined : reader.date(list, "DTSTART", false);
    return {
      status: readStatus(wrapper) ?? { code: 0, severity: "INFO" },
      ...optional({
        accountId: text(from, "ACCTID"),
        brokerId: text(from, "BROKERID"),
        currency: text(statement, "CURDEF"),
        cash: reader.decimal(find(statement, "INVBAL"), "AVAILCASH", false),
        start,
      }),
      positions,
      transactions,
      securities,
      problems: [...reader.problems, ...listProblems],
    };
  });
}

/** An investment account of an account list (INVACCTINFO's INVACCTFROM): kind "investment". */
export function readInvestmentAccount(node: OfxNode | undefined): OfxAccount | undefined {
  const accountId = text(node, "ACCTID");
  if (node === undefined || accountId === undefined) return undefined;
  const brokerId = text(node, "BROKERID");
  return { kind: "investment", accountId, ...(brokerId === undefined ? {} : { bankId: brokerId }) };
}
