import { runCli } from "./run-cli.ts";
import { type ServerProcess, startServerProcess } from "./server-process.ts";
import { createTestDatabase, type TestDatabase } from "./test-database.ts";

/**
 * Two real `tessera start` processes on one fresh PostgreSQL database with one tenant (created by
 * the CLI, so its first key is an admin key): what "a limit holds across processes" is tested on.
 */
export interface ProcessPair {
  readonly a: ServerProcess;
  readonly b: ServerProcess;
  readonly apiKey: string;
  /** The CLI's database arguments, for further commands against the same database. */
  readonly data: readonly string[];
  readonly database: TestDatabase;
  close(): Promise<void>;
}

export async function startProcessPair(
  tenantName: string,
  scenario: string,
  env: Record<string, string> = {},
): Promise<ProcessPair> {
  const database = await createTestDatabase("postgres");
  const data = ["--data-dir", database.dataDir, "--database-url", database.databaseUrl ?? ""];
  const created = await runCli([...data, "tenant", "create", tenantName, "--json"], { scenario });
  const apiKey = JSON.parse(created.stdout).apiKey as string;
  const a = await startServerProcess(data, env);
  const b = await startServerProcess(data, env);
  return {
    a,
    b,
    apiKey,
    data,
    database,
    async close() {
      await a.stop("SIGKILL");
      await b.stop("SIGKILL");
      await database.drop();
    },
  };
}
