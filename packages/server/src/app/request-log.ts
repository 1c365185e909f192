import {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { type DestinationStream, destination, pino } from "pino";
import { redactUrl } from "./log-redaction.ts";

/**
 * The server's log: JSON lines on standard output, written asynchronously and in batches.
 *
 * At the default level the request lines cost a fifth of a session check's CPU (issue #10; see
 * docs/performance.md): two serialized lines per request, each written on its own. Lines are now
 * buffered until BATCH_BYTES collect, and never held longer than FLUSH_MS; a write in flight does
 * not hold up the event loop, not even when the reader stops reading (a full pipe). What is still buffered is written synchronously when the process
 * exits (graceful shutdown, process.exit, an uncaught exception). Should the reader stall for good,
 * lines beyond MAX_BUFFERED_BYTES are dropped rather than growing memory without bound: the audit
 * trail, not the log, is the record of what happened.
 */
const BATCH_BYTES = 8 * 1024;
const FLUSH_MS = 50;
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const FLUSH_TIMEOUT_MS = 2000;

export interface ServerLog {
  readonly logger: FastifyBaseLogger;
  /** Whether the level lets request lines through (info or more verbose). */
  readonly logsRequests: boolean;
  /** Writes out what is buffered and waits for it; for shutdown. */
  flush(): Promise<void>;
}

export function createServerLog(level: string, fd = 1): ServerLog {
  let exiting = false;
  const sink = destination({
    dest: fd,
    sync: false,
    minLength: BATCH_BYTES,
    maxLength: MAX_BUFFERED_BYTES,
    // A full pipe is retried later while serving; at exit, a reader that is gone for good must
    // not keep the process alive.
    retryEAGAIN: () => !exiting,
  });
  let timer: NodeJS.Timeout | undefined;
  // A failing log (its reader gone) must never take the server down with it.
  const flushQuietly = (done?: () => void) => {
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
      sink.write(line);
      if (timer === undefined) timer = setTimeout(flushSoon, FLUSH_MS).unref();
    },
  };
  process.on("exit", () => {
    exiting = true;
    try {
      sink.flushSync();
    } catch {
      // Nothing more can be done for the log while the process exits.
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
        // Bounded: a stalled reader must not hold up shutdown; the exit handler tries once more.
        setTimeout(resolve, FLUSH_TIMEOUT_MS).unref();
        flushQuietly(() => resolve());
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
      url: redactUrl(request.url),
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
