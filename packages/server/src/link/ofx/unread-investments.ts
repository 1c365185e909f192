import { descendants, type OfxNode, text } from "./ofx-tree.ts";

/**
 * Investment accounts an account list names (INVACCTINFO), until Tessera reads investment
 * statements (INVSTMTRS): each is listed as an investment account that cannot be read, so a job
 * ends 204 Incomplete naming it instead of succeeding with the account silently missing. The
 * investment reader replaces this.
 */
export interface UnreadInvestment {
  readonly accountId: string;
  readonly problem: string;
}

export function unreadInvestments(root: OfxNode): UnreadInvestment[] {
  return descendants(root, "INVACCTINFO").flatMap((info) => {
    const accountId = text(info, "INVACCTFROM", "ACCTID");
    if (accountId === undefined) return [];
    const at = info.line === undefined ? "" : ` (line ${info.line})`;
    return [{ accountId, problem: `INVACCTINFO${at}: investment statements (INVSTMTRS) are not read yet` }];
  });
}
