import { formatOfxDate } from "../ofx/ofx-date.ts";
import { element, leaf, type OfxNode, text } from "../ofx/ofx-tree.ts";
import type { SandboxAccount } from "./sandbox-data.ts";
import { status } from "./sandbox-ofx.ts";
import type { Scenario } from "./test-logins.ts";

/**
 * The Sandbox Bank's brokerage (test login user_brokerage): one investment account whose OFX
 * statement (INVSTMTRS) holds two positions, a trade of every kind within the last 40 days and a
 * cash transaction, and the securities list. Values are fixed; dates count back from `now`.
 */
export const brokerageAccount: SandboxAccount = {
  externalId: "INV-0003",
  name: "Brokerage",
  kind: "investment",
  currency: "USD",
  balance: "1520.40",
  numberMask: "…0003",
};

export const BROKER_ID = "sandbox.invalid";

const securities = [
  { id: "922908728", name: "Total Stock Market Index Fund", ticker: "VTSAX", info: "MFINFO" },
  { id: "037833100", name: "Apple Inc.", ticker: "AAPL", info: "STOCKINFO" },
] as const;

const secid = (id: string) => element("SECID", leaf("UNIQUEID", id), leaf("UNIQUEIDTYPE", "CUSIP"));
const day = (now: number, back: number) => formatOfxDate(now - back * 86_400_000, false);
const invtran = (now: number, back: number, memo: string) =>
  element(
    "INVTRAN",
    leaf("FITID", `INV-0003-${day(now, back)}-${memo.toLowerCase().replaceAll(" ", "-")}`),
    leaf("DTTRADE", `${day(now, back)}160000`),
    leaf("MEMO", memo),
  );

/** The trades, newest last, each `back` days ago. */
function trades(now: number): { back: number; node: OfxNode }[] {
  const vtsax = securities[0].id;
  const aapl = securities[1].id;
  const sub = [leaf("SUBACCTSEC", "CASH"), leaf("SUBACCTFUND", "CASH")];
  return [
    {
      back: 40,
      node: element(
        "INVBANKTRAN",
        element(
          "STMTTRN",
          leaf("TRNTYPE", "DEP"),
          leaf("DTPOSTED", `${day(now, 40)}120000`),
          leaf("TRNAMT", "5000.00"),
          leaf("FITID", `INV-0003-${day(now, 40)}-cash`),
          leaf("NAME", "Deposit"),
        ),
        leaf("SUBACCTFUND", "CASH"),
      ),
    },
    {
      back: 30,
      node: element(
        "BUYMF",
        element(
          "INVBUY",
          invtran(now, 30, "Bought"),
          secid(vtsax),
          leaf("UNITS", "25.000"),
          leaf("UNITPRICE", "110.20"),
          leaf("TOTAL", "-2755.00"),
          ...sub,
        ),
        leaf("BUYTYPE", "BUY"),
      ),
    },
    {
      back: 20,
      node: element(
        "SELLSTOCK",
        element(
          "INVSELL",
          invtran(now, 20, "Sold"),
          secid(aapl),
          leaf("UNITS", "-5"),
          leaf("UNITPRICE", "190.00"),
          leaf("TOTAL", "950.00"),
          ...sub,
        ),
        leaf("SELLTYPE", "SELL"),
      ),
    },
    {
      back: 10,
      node: element(
        "INCOME",
        invtran(now, 10, "Dividend"),
        secid(vtsax),
        leaf("INCOMETYPE", "DIV"),
        leaf("TOTAL", "12.34"),
        ...sub,
      ),
    },
    {
      back: 10,
      node: element(
        "REINVEST",
        invtran(now, 10, "Reinvested"),
        secid(vtsax),
        leaf("INCOMETYPE", "DIV"),
        leaf("TOTAL", "-12.34"),
        leaf("SUBACCTSEC", "CASH"),
        leaf("UNITS", "0.110"),
        leaf("UNITPRICE", "112.18"),
      ),
    },
    {
      back: 5,
      node: element(
        "TRANSFER",
        invtran(now, 5, "Transferred in"),
        secid(aapl),
        leaf("SUBACCTSEC", "CASH"),
        leaf("UNITS", "10"),
        leaf("TFERACTION", "IN"),
        leaf("POSTYPE", "LONG"),
      ),
    },
  ];
}

const position = (kind: string, id: string, units: string, price: string, value: string, now: number) =>
  element(
    kind,
    element(
      "INVPOS",
      secid(id),
      leaf("HELDINACCT", "CASH"),
      leaf("POSTYPE", "LONG"),
      leaf("UNITS", units),
      leaf("UNITPRICE", price),
      leaf("MKTVAL", value),
      leaf("DTPRICEASOF", `${day(now, 1)}160000`),
    ),
  );

/** The INVSTMTRS of the brokerage account, with trades on or after `from` (YYYYMMDD). */
function brokerageStatement(now: number, from: string): OfxNode {
  return element(
    "INVSTMTRS",
    leaf("DTASOF", formatOfxDate(now)),
    leaf("CURDEF", brokerageAccount.currency),
    element("INVACCTFROM", leaf("BROKERID", BROKER_ID), leaf("ACCTID", brokerageAccount.externalId)),
    element(
      "INVTRANLIST",
      leaf("DTSTART", from),
      leaf("DTEND", formatOfxDate(now)),
      ...trades(now)
        .filter((t) => day(now, t.back) >= from)
        .map((t) => t.node),
    ),
    element(
      "INVPOSLIST",
      position("POSMF", securities[0].id, "25.110", "112.50", "2824.88", now),
      position("POSSTOCK", securities[1].id, "15", "192.10", "2881.50", now),
    ),
    element(
      "INVBAL",
      leaf("AVAILCASH", brokerageAccount.balance),
      leaf("MARGINBALANCE", "0"),
      leaf("SHORTBALANCE", "0"),
    ),
  );
}

/** The securities the statement names (SECLIST). */
function brokerageSecurities(): OfxNode {
  return element(
    "SECLISTMSGSRSV1",
    element(
      "SECLIST",
      ...securities.map((s) =>
        element(
          s.info,
          element("SECINFO", secid(s.id), leaf("SECNAME", s.name), leaf("TICKER", s.ticker)),
          s.info === "MFINFO" ? leaf("MFTYPE", "OPENEND") : leaf("STOCKTYPE", "COMMON"),
        ),
      ),
    ),
  );
}

/** The answer to an INVSTMTTRNRQ: the statement and its securities, or 2003 for another account. */
export function investmentStatement(scenario: Scenario, request: OfxNode, now: number): OfxNode[] {
  const trnuid = leaf("TRNUID", text(request, "TRNUID") ?? "0");
  const accountId = text(request, "INVSTMTRQ", "INVACCTFROM", "ACCTID");
  if (scenario !== "brokerage" || accountId !== brokerageAccount.externalId)
    return [element("INVSTMTMSGSRSV1", element("INVSTMTTRNRS", trnuid, status(2003, "Account not found")))];
  const from = (text(request, "INVSTMTRQ", "INCTRAN", "DTSTART") ?? "19700101").slice(0, 8);
  return [
    element("INVSTMTMSGSRSV1", element("INVSTMTTRNRS", trnuid, status(0), brokerageStatement(now, from))),
    brokerageSecurities(),
  ];
}
