import type { FastifyReply, FastifyRequest } from "fastify";

/** A comment line at least this often keeps a quiet stream inside http.idleTimeoutMs and proxies' idle limits. */
const HEARTBEAT_MS = 15_000;

/**
 * A server-sent events response (job timelines, transaction requests, a push device's requests):
 * the reply is taken over from Fastify, a comment opens the stream and a heartbeat comment keeps
 * it alive; it ends when the client goes or close() is called, running every onClose() handler
 * once, so no timer or listener outlives the connection.
 */
export class EventStream {
  readonly #reply: FastifyReply;
  readonly #cleanups: (() => void)[] = [];
  #closed = false;

  constructor(request: FastifyRequest, reply: FastifyReply, title: string) {
    this.#reply = reply;
    reply.hijack();
    reply.raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-request-id": request.id,
    });
    reply.raw.write(`: ${title}\n\n`);
    const heartbeat = setInterval(
      () => reply.raw.write(": heartbeat\n\n"),
      Math.min(HEARTBEAT_MS, request.server.ctx.config.http.idleTimeoutMs / 2),
    );
    this.onClose(() => clearInterval(heartbeat));
    reply.raw.on("close", () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** One event; `id` lets a reconnecting client resume with Last-Event-ID. */
  send(event: string, data: unknown, id?: number): void {
    if (this.#closed) return;
    this.#reply.raw.write(
      `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
    );
  }

  onClose(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const cleanup of this.#cleanups) cleanup();
    this.#reply.raw.end();
  }

  /**
   * Runs `refresh` at once, every `pollMs` (changes made by other processes) and on each call of
   * the returned wake function (changes made in this process). Runs never overlap: a wake during a
   * run makes one more run after it. A refresh that throws ends the stream.
   */
  refreshing(refresh: () => Promise<void>, pollMs: number): () => void {
    let busy = false;
    let again = false;
    const run = async (): Promise<void> => {
      if (this.#closed) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        await refresh();
      } catch {
        this.close();
      } finally {
        busy = false;
        if (again && !this.#closed) {
          again = false;
          void run();
        }
      }
    };
    const timer = setInterval(run, pollMs);
    this.onClose(() => clearInterval(timer));
    void run();
    return () => void run();
  }
}
