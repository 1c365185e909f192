/**
 * Whether an error means the database failed (unreachable, connection lost, server shutting down,
 * disk full), as opposed to a bug. Such failures answer DatabaseError (503) so callers retry.
 */
const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "ERR_SQLITE_ERROR",
]);

export function isDatabaseFailure(error: unknown): boolean {
  if (isPostgresError(error)) {
    // Class 08 connection exceptions, 53 insufficient resources, 57 operator intervention, 3D missing database.
    return /^(08|53|57|3D)/.test(error.code ?? "");
  }
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === "string" && connectionCodes.has(code)) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|database is locked/i.test(
    error.message,
  );
}

/** pg's DatabaseError, recognised by shape so that pg need not be loaded on SQLite. */
function isPostgresError(error: unknown): error is Error & { code?: string } {
  return (
    error instanceof Error &&
    error.constructor.name === "DatabaseError" &&
    "severity" in error &&
    "routine" in error
  );
}

/**
 * Whether an error is a unique-constraint violation: PostgreSQL's 23505, or SQLite's
 * SQLITE_CONSTRAINT_UNIQUE (node:sqlite reports it in the message and errstr). For the rare write
 * that can lose a race to a concurrent insert and has a sensible fallback.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (isPostgresError(error)) return error.code === "23505";
  return error instanceof Error && /UNIQUE constraint failed/.test(error.message);
}
