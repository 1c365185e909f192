import { createHash, timingSafeEqual } from "node:crypto";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { createRequire } from "node:module";

/**
 * The RADIUS load generator: a Node UDP client on the `radius` package keeping `outstanding`
 * Access-Requests in flight (each answered one is replaced at once), for `durationSeconds`. Each
 * request carries Message-Authenticator; each answer is checked against the secret and its
 * request before it counts. The same generator drives FreeRADIUS and Tessera, so the figures
 * differ only by the server.
 */
interface RadiusCodec {
  encode(args: Record<string, unknown>): Buffer;
  decode(args: { packet: Buffer; secret: string }): {
    code: string;
    identifier: number;
    attributes: Record<string, unknown>;
  };
  verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
}
const radius = createRequire(import.meta.url)("radius") as RadiusCodec;

export interface RadiusLoadOptions {
  readonly host: string;
  readonly port: number;
  readonly secret: string;
  readonly outstanding: number;
  readonly durationSeconds: number;
  /** The attributes of the n-th request (User-Name, User-Password, ...). */
  readonly attributes: (n: number) => [string, string][];
  /** An unanswered request counts as a timeout after this long and is replaced. */
  readonly timeoutMs?: number;
  /**
   * Answers must carry a valid Message-Authenticator (Tessera always sends one). Debian's
   * FreeRADIUS 3.2.1 predates the BlastRADIUS fixes and sends none, so for it only the Response
   * Authenticator is checked.
   */
  readonly requireMessageAuthenticator: boolean;
}

export interface RadiusLoadFigures {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly answers: Readonly<Record<string, number>>;
  readonly timeouts: number;
}

/** The Response Authenticator (RFC 2865 §3): MD5 over the answer with the request's authenticator, and the secret. */
function responseAuthentic(request: Buffer, response: Buffer, secret: string): boolean {
  if (response.length < 20) return false;
  const copy = Buffer.from(response);
  request.copy(copy, 4, 4, 20);
  const expected = createHash("md5").update(copy).update(secret).digest();
  return timingSafeEqual(expected, response.subarray(4, 20));
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0
    ? 0
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number);

export async function radiusLoad(options: RadiusLoadOptions): Promise<RadiusLoadFigures> {
  // One socket holds at most 256 identifiers in flight.
  if (options.outstanding > 256) throw new Error("at most 256 outstanding requests per socket");
  const socket = createSocket(options.host.includes(":") ? "udp6" : "udp4");
  socket.bind(0, options.host.includes(":") ? "::1" : "127.0.0.1");
  await once(socket, "listening");
  const timeoutMs = options.timeoutMs ?? 2000;
  const inFlight = new Map<number, { packet: Buffer; sentAt: number; timer: NodeJS.Timeout }>();
  const free: number[] = Array.from({ length: 256 }, (_, i) => i);
  const latencies: number[] = [];
  const answers: Record<string, number> = {};
  let timeouts = 0;
  let sent = 0;
  let stopping = false;
  const started = performance.now();

  const send = () => {
    if (stopping) return;
    const identifier = free.shift();
    if (identifier === undefined) return;
    const packet = radius.encode({
      code: "Access-Request",
      identifier,
      secret: options.secret,
      attributes: options.attributes(sent++),
      add_message_authenticator: true,
    });
    const timer = setTimeout(() => {
      inFlight.delete(identifier);
      free.push(identifier);
      timeouts += 1;
      send();
    }, timeoutMs);
    inFlight.set(identifier, { packet, sentAt: performance.now(), timer });
    socket.send(packet, options.port, options.host);
  };
  socket.on("message", (response) => {
    const identifier = response[1];
    const pending = identifier === undefined ? undefined : inFlight.get(identifier);
    if (pending === undefined || identifier === undefined) return;
    const authentic = options.requireMessageAuthenticator
      ? radius.verify_response({
          request: pending.packet,
          response: Buffer.from(response),
          secret: options.secret,
        })
      : responseAuthentic(pending.packet, response, options.secret);
    if (!authentic) return;
    clearTimeout(pending.timer);
    inFlight.delete(identifier);
    free.push(identifier);
    latencies.push(performance.now() - pending.sentAt);
    const code = radius.decode({ packet: response, secret: options.secret }).code;
    answers[code] = (answers[code] ?? 0) + 1;
    send();
  });
  for (let i = 0; i < options.outstanding; i++) send();
  await new Promise((resolve) => setTimeout(resolve, options.durationSeconds * 1000));
  stopping = true;
  const elapsed = (performance.now() - started) / 1000;
  for (const { timer } of inFlight.values()) clearTimeout(timer);
  socket.close();
  const sorted = latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: Math.round(latencies.length / elapsed),
    p50Ms: Math.round(percentile(sorted, 50) * 100) / 100,
    p99Ms: Math.round(percentile(sorted, 99) * 100) / 100,
    answers,
    timeouts,
  };
}
