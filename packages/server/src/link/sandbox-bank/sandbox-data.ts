import { brokerageAccount } from "./sandbox-brokerage.ts";
import type { Scenario } from "./test-logins.ts";

/**
 * The accounts and transactions the Sandbox Bank shows, generated from the login so that every
 * request and every instance of the site answers the same. Dates count back from `today`.
 */
export interface SandboxAccount {
  readonly externalId: string;
  readonly name: string;
  readonly kind: "checking" | "credit-card" | "investment";
  readonly currency: string;
  readonly balance: string;
  readonly numberMask: string;
}

export interface SandboxTransaction {
  readonly externalId: string;
  readonly postedOn: string;
  readonly amount: string;
  readonly description: string;
  readonly memo?: string;
  readonly kind: string;
}

const merchants = [
  "Grocer",
  "Coffee House",
  "Book Shop",
  "Transit",
  "Pharmacy",
  "Hardware",
  "Cinema",
  "Bakery",
];

export function accountsFor(scenario: Scenario): SandboxAccount[] {
  if (scenario === "no-accounts") return [];
  if (scenario === "brokerage") return [brokerageAccount];
  const prefix = scenario === "business" ? "BIZ" : "CHK";
  return [
    {
      externalId: `${prefix}-0001`,
      name: scenario === "business" ? "Business Current" : "Everyday Checking",
      kind: "checking",
      currency: "USD",
      balance: "2450.17",
      numberMask: "…0001",
    },
    {
      externalId: "CC-0002",
      name: "Rewards Card",
      kind: "credit-card",
      currency: "USD",
      balance: "-318.40",
      numberMask: "…0002",
    },
  ];
}

function day(today: number, back: number): string {
  return new Date(today - back * 86_400_000).toISOString().slice(0, 10);
}

/** 45 days of history, one or two transactions a day; account and day fix every value. */
export function transactionsFor(scenario: Scenario, accountId: string, today: number): SandboxTransaction[] {
  if (scenario === "no-transactions") return [];
  const out: SandboxTransaction[] = [];
  for (let back = 0; back < 45; back += 1) {
    const count = back % 3 === 0 ? 2 : 1;
    for (let n = 0; n < count; n += 1) {
      const postedOn = day(today, back);
      const seed = (back * 7 + n * 13 + accountId.length) % merchants.length;
      const cents = 150 + ((back * 389 + n * 71) % 9000);
      const income = accountId.startsWith("CHK") && back % 14 === 0 && n === 0;
      out.push({
        externalId: `${accountId}-${postedOn}-${n}`,
        postedOn,
        amount: income ? "1850.00" : `-${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`,
        description: income ? "Salary" : (merchants[seed] ?? "Shop"),
        ...(n === 1 ? { memo: "card purchase" } : {}),
        kind: income ? "credit" : "debit",
      });
    }
  }
  return out;
}
