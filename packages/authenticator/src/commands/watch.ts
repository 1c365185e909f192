import { setTimeout as delay } from "node:timers/promises";
import { CliFailure, ExitCode, ServerRefusal } from "../cli/exit-codes.ts";
import type { AppClient } from "../protocol/app-client.ts";
import { serverEvents } from "../protocol/event-stream.ts";
import { type RequestItem, requestItemOf } from "../protocol/request-item.ts";
import { answerOf, describeFetchError, unreachable } from "../protocol/server-answer.ts";
import { ask, interactive } from "../render/prompt.ts";
import { renderRequest } from "../render/render-request.ts";
import { parseNumber, sendAnswer } from "./answer.ts";
import { type CommandContext, clientFor, pickAccount } from "./command-context.ts";

/** The command line that answers `item` for this device, runnable as printed. */
function answerLine(context: CommandContext, client: AppClient, verb: "approve" | "deny", item: RequestItem) {
  const option = verb === "deny" ? " [--fraud]" : item.kind === "sign-in" ? " --number NN" : "";
  return `${context.invocation} ${verb} ${item.reference}${option} --account ${client.account.serial}`;
}

/** Reconnection waits grow to this after repeated failures. */
const MAX_BACKOFF_MS = 30_000;

/**
 * `watch`: the device's requests as server-sent events (GET /app/v1/events, which works behind
 * NAT with no third party). Each request is shown once; at a terminal it is answered on the spot,
 * otherwise the commands that answer it are printed. A dropped stream is reopened (with a fresh
 * signature: a timestamp is never reused) with growing waits; a refusal by the server ends it.
 * `--count N` ends after N requests (scripts and tests).
 */
export async function watch(
  context: CommandContext,
  options: { account?: string | undefined; count?: number | undefined },
): Promise<number> {
  const client = clientFor(context, await pickAccount(context, options.account));
  const seen = new Set<string>();
  let backoff = 1000;
  context.err(`Watching for requests to ${client.account.serial} (${client.account.server}); Ctrl-C ends.\n`);
  for (;;) {
    try {
      const response = await openStream(client);
      backoff = 1000;
      for await (const event of serverEvents(response)) {
        if (event.event !== "request") continue;
        const item = requestItemOf(client.account.server, parsed(event.data));
        if (seen.has(item.reference)) continue;
        seen.add(item.reference);
        context.out(renderRequest(client.account, item));
        if (interactive()) await answerAtTerminal(context, client, item);
        else
          context.out(
            `  answer: ${answerLine(context, client, "approve", item)} | ${answerLine(context, client, "deny", item)}\n`,
          );
        if (options.count !== undefined && seen.size >= options.count) return ExitCode.done;
      }
      context.err("The server closed the stream; reconnecting.\n");
    } catch (error) {
      // The server's refusal, or a local problem, ends the watch; a connection that failed or
      // broke mid-stream (fetch throws a TypeError then) is reopened.
      if (
        error instanceof ServerRefusal ||
        (error instanceof CliFailure && error.exitCode !== ExitCode.unreachable)
      )
        throw error;
      context.err(
        `${error instanceof Error ? error.message : String(error)}; retrying in ${backoff / 1000} s.\n`,
      );
    }
    await delay(backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

const parsed = (data: string): unknown => {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
};

async function openStream(client: AppClient): Promise<ReadableStream<Uint8Array>> {
  const { url, headers } = await client.signed("GET", "/app/v1/events", "");
  let response: Response;
  try {
    response = await fetch(url, { headers: { ...headers, accept: "text/event-stream" } });
  } catch (error) {
    throw unreachable(client.account.server, describeFetchError(error));
  }
  const type = response.headers.get("content-type") ?? "";
  if (response.ok && type.startsWith("text/event-stream") && response.body !== null) return response.body;
  await answerOf(client.account.server, response);
  throw unreachable(client.account.server, `HTTP ${response.status} instead of an event stream`);
}

/** Asks what to do with one request; a failed answer is reported and the watch goes on. */
async function answerAtTerminal(
  context: CommandContext,
  client: AppClient,
  item: RequestItem,
): Promise<void> {
  const typed = await ask(
    item.kind === "sign-in"
      ? "Type the number on the sign-in screen to approve, d to deny, f to deny and report fraud, Enter to skip: "
      : "a to approve exactly this, d to deny, f to deny and report fraud, Enter to skip: ",
  );
  try {
    if (typed === "") return;
    if (typed === "d" || typed === "f")
      await sendAnswer(context, client, item, "rejected", { fraud: typed === "f" });
    else if (item.kind === "sign-in")
      await sendAnswer(context, client, item, "approved", { number: parseNumber(typed, "the number") });
    else if (typed === "a") await sendAnswer(context, client, item, "approved", { yes: true });
    else context.err("Not answered.\n");
  } catch (error) {
    if (!(error instanceof CliFailure)) throw error;
    context.err(`tessera-authenticator: ${error.message}\n`);
  }
}
