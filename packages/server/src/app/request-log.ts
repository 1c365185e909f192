import {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { type DestinationStream, pino } from "pino";
// A CommonJS module whose class the ESM loader sees only as a property of its default export.
import sonicBoom from "sonic-boom";
import { redactedRequestUrl } from "./log-redaction.ts";

/**
 * The server's log: JSON lines on standard output, written asynchronously and in batches.
 *
 * At the default level the request lines cost a fifth of a session check's CPU (issue #10; see
 * docs/performance.md): two serialized lines per request, each written on its own. Lines are now
 * buffered until BATCH_BYTES collect, and never held longer than FLUSH_MS; a write in flight does
 * not hold up the event loop, not even when the reader stops reading (a full pipe). Should the
 * reader stall for good, lines beyond MAX_BUFFERED_BYTES are dropped rather than growing memory
 * without bound: the audit trail, not the log, is the record of what happened.
 *
 * What is still buffered is written when the process exits (graceful shutdown, process.exit, an
 * uncaught exception). FINAL_FLUSH_MS is a stall timeout, not a deadline: a reader that keeps
 * reading, however slowly, gets every line, while one that holds the pipe open and reads nothing
 * for FINAL_FLUSH_MS must not keep a stopping process alive, so what is left then is dropped and
 * standard error says how much. The clock restarts at exit, so a shutdown that itself took long
 * (open connections closing) does not eat the time of the last flush. The stream is a SonicBoom of our own rather than
 * pino.destination(), because that one installs pino's exit hook, which flushes synchronously
 * with no deadline and sleeps forever on a full pipe.
 */
const BATCH_BYTES = 8 * 1024;
const FLUSH_MS = 50;
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const FINAL_FLUSH_MS = 2000;

export interface ServerLog {
  readonly logger: FastifyBaseLogger;
  /** Whether the level lets request lines through (info or more verbose). */
  readonly logsRequests: boolean;
  /** Writes out what is buffered and waits for it, until the reader stalls FINAL_FLUSH_MS; for shutdown. */
  flush(): Promise<void>;
}

export function createServerLog(level: string, fd = 1): ServerLog {
  let exiting = false;
  let unwritten = 0;
  let broken = false;
  // When the reader last took bytes (or the stall clock was restarted); see FINAL_FLUSH_MS.
  let lastProgress = Date.now();
  let givenUp = false;
  const stalled = () => Date.now() - lastProgress >= FINAL_FLUSH_MS;
  const sink = new sonicBoom.SonicBoom({
    fd,
    sync: false,
    minLength: BATCH_BYTES,
    maxLength: MAX_BUFFERED_BYTES,
    // A full pipe is retried later while serving (a timer, the event loop stays free); once the
    // process exits, the synchronous retries stop when the reader has taken nothing for
    // FINAL_FLUSH_MS. Fewer bytes left than at the last retry means the reader is reading.
    retryEAGAIN: (_error, writing, rest) => {
      if (writing + rest < unwritten) lastProgress = Date.now();
      unwritten = writing + rest;
      return !exiting || !stalled();
    },
  });
  sink.on("write", () => {
    lastProgress = Date.now();
  });
  // A failing log (its reader gone: EPIPE, a closed descriptor) must never take the server down
  // with it: logging stops, once said on standard error.
  sink.on("error", (error: NodeJS.ErrnoException) => {
    if (broken) return;
    broken = true;
    process.stderr.write(
      `tessera: the log stopped: standard output failed (${error.code ?? error.message})\n`,
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const flushQuietly = (done?: () => void) => {
    if (broken) return done?.();
    try {
      sink.flush(done);
    } catch {
      done?.();
    }
  };
  const flushSoon = () => {
    timer = undefined;
    flushQuietly();
  };
  // pino writes each line here; the first line into an empty batch starts the clock for it.
  const stream: DestinationStream = {
    write(line: string) {
      if (broken) return;
      sink.write(line);
      if (timer === undefined) timer = setTimeout(flushSoon, FLUSH_MS).unref();
    },
  };
  process.on("exit", () => {
    exiting = true;
    // A reader the shutdown flush already gave up on is not waited for twice.
    if (!givenUp) lastProgress = Date.now();
    unwritten = Number.POSITIVE_INFINITY;
    if (broken) return;
    try {
      sink.flushSync();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      process.stderr.write(
        code === "EAGAIN" || code === "EBUSY"
          ? `tessera: log: ${unwritten} bytes not written: standard output was not read for ${FINAL_FLUSH_MS} ms while stopping\n`
          : `tessera: log: lines not written at exit: standard output failed (${code ?? String(error)})\n`,
      );
    }
  });
  const logger = pino({ level }, stream);
  return {
    logger,
    logsRequests: logger.isLevelEnabled("info"),
    flush: () =>
      new Promise<void>((resolve) => {
        clearTimeout(timer);
        timer = undefined;
        lastProgress = Date.now();
        let watch: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(watch);
          resolve();
        };
        // Waits as long as the reader keeps taking bytes; gives up once it stalls.
        const check = () => {
          if (!stalled()) watch = setTimeout(check, 100).unref();
          else {
            givenUp = true;
            done();
          }
        };
        check();
        flushQuietly(done);
      }),
  };
}

/**
 * One line per request, when it is answered: method, URL with its secrets redacted, client
 * address, status and time, in place of Fastify's two lines (received, completed) built through
 * generic serializers. Flat fields, because pino writes strings and numbers at the top level
 * directly while a nested object goes through a generic stringifier (7 µs a line instead of 2).
 * Headers and bodies are never logged, so keys, passwords and codes cannot reach the log. Fastify's
 * other log lines (stream errors and the like) are kept.
 */
export class RequestLog extends LogController {
  readonly #enabled: boolean;

  constructor(log: ServerLog) {
    super();
    this.#enabled = log.logsRequests;
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (!this.#enabled && !error) return;
    const line = {
      method: request.method,
      url: redactedRequestUrl(request),
      remoteAddress: request.ip,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) reply.log.error({ ...line, err: error }, "request errored");
    else reply.log.info(line, "request completed");
  }
}

/** What is still buffered is written when the server closes. */
export function flushOnClose(app: FastifyInstance, log: ServerLog): void {
  app.addHook("onClose", async () => log.flush());
}
