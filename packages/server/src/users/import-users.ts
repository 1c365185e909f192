import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { type EnrolmentRequest, enrolUser } from "./enrol-user.ts";

export interface ImportRowResult {
  /** 1-based position in the input. */
  readonly row: number;
  readonly username: string;
  readonly errorCode: number;
  readonly errorName: string;
  readonly errorMessage: string;
}

export interface ImportSummary {
  readonly created: number;
  readonly rejected: readonly ImportRowResult[];
}

/**
 * Enrols many users, one at a time, reporting each rejected row with EnrollUserFailed and the
 * reason, and going on with the next: one bad row never stops an import.
 */
export async function importUsers(
  ctx: ServerContext,
  tenant: Tenant,
  rows: readonly (EnrolmentRequest | string)[],
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ImportSummary> {
  let created = 0;
  const rejected: ImportRowResult[] = [];
  for (const [index, row] of rows.entries()) {
    if (typeof row === "string") {
      rejected.push(rejection(index, "", row));
      onProgress(index + 1, rows.length);
      continue;
    }
    try {
      await enrolUser(ctx, tenant, row, ApiReturnCode.EnrollUserFailed);
      created += 1;
    } catch (error) {
      if (!TesseraError.is(error)) throw error;
      const reason =
        error.code === ApiReturnCode.EnrollUserFailed ? error.message : `${error.name}: ${error.message}`;
      rejected.push(rejection(index, String(row.username ?? ""), reason));
    }
    onProgress(index + 1, rows.length);
  }
  return { created, rejected };
}

/** Rows given as a string were rejected before enrolment (malformed CSV row); the string says why. */
function rejection(index: number, username: string, reason: string): ImportRowResult {
  return {
    row: index + 1,
    username,
    errorCode: ApiReturnCode.EnrollUserFailed,
    errorName: "EnrollUserFailed",
    errorMessage: reason,
  };
}
