import { ExitCode } from "../cli/exit-codes.ts";
import { requestItemsOf } from "../protocol/request-item.ts";
import { renderRequest, shown } from "../render/render-request.ts";
import { type CommandContext, clientFor } from "./command-context.ts";

/** `list`: the enrolled devices (from the state directory only); `--pending` adds each one's pending requests. */
export async function list(context: CommandContext, options: { pending: boolean }): Promise<number> {
  const accounts = await context.store.accounts();
  if (accounts.length === 0) {
    context.err(`Nothing is enrolled in ${context.store.dir}.\n`);
    return ExitCode.done;
  }
  for (const account of accounts) {
    context.out(
      `${account.serial}  ${shown(account.username)} at ${shown(account.tenant)}  ${account.server}  ${account.algorithm}  enrolled ${account.enrolledAt}\n`,
    );
    if (!options.pending) continue;
    const answer = await clientFor(context, account).call("GET", "/app/v1/requests");
    const items = requestItemsOf(account.server, answer);
    if (items.length === 0) context.out("  no pending requests\n");
    for (const item of items) context.out(renderRequest(account, item).replace(/^/gm, "  "));
  }
  return ExitCode.done;
}
