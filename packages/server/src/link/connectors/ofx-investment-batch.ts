import type { OfxNode } from "../ofx/ofx-tree.ts";
import { readInvestmentStatements } from "../ofx/read-investment.ts";
import type { TransactionBatch } from "./connector.ts";

/**
 * The batch of an investment account from an INVSTMTRS answer. A statement with a value the
 * reader refuses (a bad amount or date, a field past its bound) is unreadable as a whole: the job
 * ends Incomplete rather than store part of a portfolio as if it were all of it.
 */
export function investmentBatch(root: OfxNode, accountId: string, since: string): TransactionBatch {
  const statements = readInvestmentStatements(root);
  const statement =
    statements.find((s) => s.accountId === accountId) ?? statements.find((s) => s.accountId === undefined);
  if (statement === undefined)
    return {
      transactions: [],
      coverage: "unreadable",
      history: "ready",
      problem: "the answer has no investment statement (INVSTMTRS) for the account",
    };
  if (statement.status.code !== 0)
    return {
      transactions: [],
      coverage: "unreadable",
      history: "ready",
      problem: `the investment statement's status is ${statement.status.code}`,
    };
  // The job's status names the first refused value (and how many more), as for bank statements.
  const [first, ...more] = statement.problems;
  if (first !== undefined) {
    const problem = more.length === 0 ? first : `${first} (and ${more.length} more)`;
    return { transactions: [], coverage: "unreadable", history: "ready", problem };
  }
  return {
    transactions: [],
    investment: {
      positions: statement.positions,
      transactions: statement.transactions,
      securities: statement.securities,
    },
    coverage: statement.start !== undefined && statement.start > since ? "partial" : "complete",
    history: "ready",
    ...(statement.cash === undefined ? {} : { balance: statement.cash }),
  };
}
