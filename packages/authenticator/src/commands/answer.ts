import { CliFailure, ExitCode, usageError } from "../cli/exit-codes.ts";
import type { AppClient } from "../protocol/app-client.ts";
import { approvalPayload, type Decision } from "../protocol/approval-payload.ts";
import { type RequestItem, requestItemsOf } from "../protocol/request-item.ts";
import { ask, interactive } from "../render/prompt.ts";
import { renderRequest } from "../render/render-request.ts";
import { type CommandContext, clientFor, pickAccount } from "./command-context.ts";

/** A reference as the server makes them: checked before it goes into a URL path. */
export const referencePattern = /^[A-Za-z0-9_-]{1,64}$/;

/** The two-digit number of number matching, exactly as typed ("42"; not "042", "4.2e1" or " 42"). */
export function parseNumber(text: string, name: string): number {
  if (!/^[1-9][0-9]$/.test(text))
    throw usageError(`${name} must be the two-digit number shown on the sign-in screen (10 to 99)`);
  return Number(text);
}

export interface AnswerOptions {
  readonly account?: string | undefined;
  readonly number?: string | undefined;
  readonly fraud?: boolean | undefined;
  readonly yes?: boolean | undefined;
}

/** `approve <reference>` and `deny <reference>`: fetch the pending request, show it, sign the answer. */
export async function answerCommand(
  context: CommandContext,
  reference: string,
  decision: Decision,
  options: AnswerOptions,
): Promise<number> {
  if (!referencePattern.test(reference))
    throw usageError(`${JSON.stringify(reference)} is not a request reference`);
  const number = options.number === undefined ? undefined : parseNumber(options.number, "--number");
  const client = clientFor(context, await pickAccount(context, options.account));
  const items = requestItemsOf(client.account.server, await client.call("GET", "/app/v1/requests"));
  const item = items.find((candidate) => candidate.reference === reference);
  if (item === undefined)
    throw new CliFailure(
      ExitCode.refused,
      `no pending request ${reference} for this device (answered, expired or unknown)`,
    );
  context.err(renderRequest(client.account, item));
  return sendAnswer(context, client, item, decision, { ...options, number });
}

/**
 * Signs and sends one answer. Approving a sign-in needs the number the sign-in screen shows
 * (asked at a terminal, else --number); approving a transaction at a terminal asks once more
 * after the details were shown, unless --yes.
 */
export async function sendAnswer(
  context: CommandContext,
  client: AppClient,
  item: RequestItem,
  decision: Decision,
  options: { number?: number | undefined; fraud?: boolean | undefined; yes?: boolean | undefined },
): Promise<number> {
  let number = options.number;
  if (item.kind !== "sign-in" && number !== undefined)
    throw usageError("--number is only for sign-in requests");
  if (decision === "approved" && item.kind === "sign-in" && number === undefined) {
    if (!interactive())
      throw usageError("approving a sign-in needs the number shown on the sign-in screen: --number NN");
    number = parseNumber(await ask("Number shown on the sign-in screen: "), "the number");
  }
  if (decision === "approved" && item.kind !== "sign-in" && options.yes !== true && interactive()) {
    const confirmed = await ask("Approve exactly this? [y/N] ");
    if (!/^y(es)?$/i.test(confirmed)) {
      context.err("Not answered.\n");
      return ExitCode.done;
    }
  }
  const approvalCode = client.sign(
    approvalPayload({
      reference: item.reference,
      kind: item.kind,
      decision,
      number: number ?? null,
      details: item.details,
    }),
  );
  const answer = await client.call("POST", `/app/v1/requests/${item.reference}/answer`, {
    decision,
    ...(number === undefined ? {} : { number }),
    approvalCode,
    ...(options.fraud === true ? { fraud: true } : {}),
  });
  const status = String(answer.status);
  context.out(`${item.reference} ${status}${options.fraud === true ? " (reported as fraud)" : ""}\n`);
  if (status === decision) return ExitCode.done;
  // The server decided otherwise: a wrong number ends a sign-in request rejected.
  context.err(
    item.kind === "sign-in" && decision === "approved"
      ? "The server rejected the sign-in: the number did not match the one on the sign-in screen.\n"
      : `The server recorded ${status}, not ${decision}.\n`,
  );
  return ExitCode.refused;
}
