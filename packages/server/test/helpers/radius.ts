import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";
import type { RadiusClient } from "../../src/radius/clients/find-radius-client.ts";
import type { RadiusOptions } from "../../src/radius/listener/radius-listener.ts";

/** A UDP port nothing listens on right now (bound and released), for the accounting socket. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/**
 * The RADIUS clients a test server knows, by exact source address. Stands in for the client list
 * of /v1/radius/clients (radius/clients/, another part of issue 16) until that part is merged.
 */
export class TestRadiusClients {
  readonly #clients = new Map<string, RadiusClient>();
  readonly options: RadiusOptions = {
    radiusClientLookup: async (_ctx, address) => this.#clients.get(address),
  };

  add(input: {
    readonly tenantId: string;
    readonly address: string;
    readonly secret: string;
    readonly requireMessageAuthenticator?: boolean;
  }): RadiusClient {
    const client: RadiusClient = {
      id: randomUUID(),
      tenantId: input.tenantId,
      name: `nas-${input.address}`,
      secret: Buffer.from(input.secret),
      requireMessageAuthenticator: input.requireMessageAuthenticator ?? true,
    };
    this.#clients.set(input.address, client);
    return client;
  }
}

export interface RadclientAnswer {
  /** Access-Accept, Access-Reject, Access-Challenge, Accounting-Response; undefined: no reply. */
  readonly code: string | undefined;
  /** The reply's attributes in the order radclient printed them. */
  readonly attributes: readonly (readonly [string, string])[];
  readonly exitCode: number | null;
  readonly output: string;
}

/**
 * One request by FreeRADIUS's radclient (Debian's freeradius-utils), the peer nobody here wrote.
 * Run asynchronously: the server under test is in this process. One try, one second, so a request
 * that gets no answer ends fast.
 */
export function radclient(
  target: { readonly host?: string; readonly port: number },
  kind: "auth" | "acct",
  secret: string,
  attributes: readonly string[],
  options: { readonly retries?: number; readonly timeoutSeconds?: number } = {},
): Promise<RadclientAnswer> {
  const host = target.host ?? "127.0.0.1";
  const server = host.includes(":") ? `[${host}]:${target.port}` : `${host}:${target.port}`;
  const args = ["-x", "-r", String(options.retries ?? 1), "-t", String(options.timeoutSeconds ?? 1)];
  if (host.includes(":")) args.push("-6");
  return run("radclient", [...args, server, kind, secret], `${attributes.join("\n")}\n`);
}

/** radtest, the script operators try a RADIUS server with first (it sends a Message-Authenticator). */
export function radtest(
  port: number,
  username: string,
  password: string,
  secret: string,
): Promise<RadclientAnswer> {
  return run("radtest", ["-4", username, password, `127.0.0.1:${port}`, "0", secret, "", "127.0.0.1"], "");
}

function run(command: string, args: readonly string[], input: string): Promise<RadclientAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (exitCode) => resolve({ ...parse(output), exitCode, output }));
    child.stdin.end(input);
  });
}

function parse(output: string): { code: string | undefined; attributes: [string, string][] } {
  const lines = output.split("\n");
  const at = lines.findIndex((line) => line.startsWith("Received "));
  if (at === -1) return { code: undefined, attributes: [] };
  const code = /^Received (\S+)/.exec(lines[at] ?? "")?.[1];
  const attributes: [string, string][] = [];
  for (const line of lines.slice(at + 1)) {
    const match = /^\s+(\S+) = (.*)$/.exec(line);
    if (match === null) break;
    attributes.push([match[1] as string, (match[2] as string).replace(/^"(.*)"$/, "$1")]);
  }
  return { code, attributes };
}

export interface AuditRow {
  readonly operation: string;
  readonly result_code: number;
  readonly subject: string | null;
  readonly source_ip: string | null;
  readonly actor: string;
}

/** Polls the audit trail until `count` rows match (a dropped packet has no answer to wait for). */
export async function auditRowsEventually(
  db: import("kysely").Kysely<import("../../src/storage/schema.ts").Schema>,
  match: (row: AuditRow) => boolean,
  count = 1,
  timeoutMs = 10_000,
): Promise<AuditRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (
      await db
        .selectFrom("audit_events")
        .select(["operation", "result_code", "subject", "source_ip", "actor"])
        .where("operation", "like", "radius.%")
        .orderBy("seq")
        .execute()
    ).filter(match);
    if (rows.length >= count) return rows;
    if (Date.now() > deadline) throw new Error(`expected ${count} audit rows, saw ${rows.length}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
