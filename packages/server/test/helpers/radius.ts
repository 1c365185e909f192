import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import type { TestServer } from "./test-server.ts";

/** A UDP port nothing listens on right now (bound and released), for the accounting socket. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

/** Adds a RADIUS client through the API, as an administrator does; answers its id. */
export async function addRadiusClient(
  server: TestServer,
  apiKey: string,
  input: {
    readonly address: string;
    readonly secret: string;
    readonly requireMessageAuthenticator?: boolean;
  },
): Promise<string> {
  const r = await server.api("POST", "/v1/radius/clients", {
    apiKey,
    body: { name: `nas ${input.address}`, ...input },
    scenario: "radius: add a client",
  });
  if (r.status !== 201 && r.status !== 200) throw new Error(`client not added: ${JSON.stringify(r.body)}`);
  return (r.body.client as { id: string }).id;
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
 * Run asynchronously: the server under test is in this process. One try; it waits up to 10 seconds
 * for the answer, since an Argon2id check on a loaded machine can take more than radclient's own
 * default; a test that expects no answer passes a short `timeoutSeconds` (a late answer would
 * still show in the audit trail, which those tests read too).
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
  const args = ["-x", "-r", String(options.retries ?? 1), "-t", String(options.timeoutSeconds ?? 10)];
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

/**
 * A NAS made of the `radius` package and a UDP socket: sends exactly the bytes a test builds
 * (well-formed or not) and collects every datagram the server sends back.
 */
export class RadiusTestClient {
  readonly received: Buffer[] = [];
  readonly #socket: import("node:dgram").Socket;
  readonly #waiters = new Set<() => void>();

  private constructor(socket: import("node:dgram").Socket) {
    this.#socket = socket;
    socket.on("message", (message) => {
      this.received.push(message);
      for (const wake of this.#waiters) wake();
    });
  }

  static async open(address = "127.0.0.1"): Promise<RadiusTestClient> {
    const socket = createSocket(address.includes(":") ? "udp6" : "udp4");
    await new Promise<void>((resolve) => socket.bind(0, address, resolve));
    return new RadiusTestClient(socket);
  }

  send(packet: Buffer, port: number, host = "127.0.0.1"): void {
    this.#socket.send(packet, port, host);
  }

  /** Waits for the answer with this identifier (undefined after `timeoutMs`: none came). */
  async answer(identifier: number, timeoutMs = 5000): Promise<Buffer | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((packet) => packet.readUInt8(1) === identifier);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  close(): void {
    this.#socket.close();
  }
}
