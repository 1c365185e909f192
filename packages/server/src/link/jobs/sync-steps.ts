import { CredentialStatus } from "@tessera/codes";
import type { LinkCredentialsTable } from "../../storage/schema.ts";
import type { Connector, LoginResult } from "../connectors/connector.ts";
import { setBalance, upsertAccount, upsertTransactions } from "../data/upsert-data.ts";
import { upsertInvestments } from "../data/upsert-investments.ts";
import { jobAnswer, openJson } from "../link-secrets.ts";
import { apply, leased, type Run, sealSession, step } from "./job-run.ts";
import { finished } from "./job-store.ts";

/**
 * A run's way through the sync, from its stored step: log in (or answer the second factor), then
 * download every account's transactions, and end with the outcome the data says (job-machine.md).
 */
const DAY = 86_400_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

type Credential = LinkCredentialsTable;

export async function proceed(run: Run, credential: Credential, connector: Connector): Promise<void> {
  const { ctx, job } = run;
  let result: LoginResult | undefined;
  if (job.step === "login") {
    await apply(run, {}, [{ code: CredentialStatus.Starting }]);
    result = await step(run, () => connector.login(run.context));
  } else if (job.step === "answer") {
    const answers =
      job.answer_enc === null
        ? {}
        : openJson<Record<string, string>>(ctx.keys, jobAnswer, job.id, job.answer_enc);
    result = await step(run, () => connector.answer(run.context, answers));
  }
  if (result?.kind === "twofa") {
    const expiresAt = ctx.clock.now() + ctx.config.link.twofaTimeoutSeconds * 1000;
    await apply(
      run,
      {
        phase: "waiting",
        lease_owner: null,
        lease_expires_at: null,
        question: JSON.stringify(result.fields),
        question_expires_at: expiresAt,
        session_enc: sealSession(run),
        answer_enc: null,
      },
      [
        {
          code: CredentialStatus.Waiting,
          detail: { twofa: result.fields, expiresAt: new Date(expiresAt).toISOString() },
        },
      ],
    );
    return;
  }
  if (result?.kind === "ok")
    await apply(run, { step: "fetch", session_enc: sealSession(run), answer_enc: null }, [
      { code: CredentialStatus.Running },
    ]);
  await download(run, credential, connector);
}

async function download(run: Run, credential: Credential, connector: Connector): Promise<void> {
  const { ctx, job } = run;
  const now = ctx.clock.now();
  const since = isoDay(
    credential.synced_until === null
      ? now - ctx.config.link.historyDays * DAY
      : credential.synced_until - 7 * DAY,
  );
  const accounts = await step(run, () => connector.listAccounts(run.context));
  let unreadable = 0;
  let partial = 0;
  let loading = 0;
  let seen = 0;
  const problems: string[] = [];
  let added = 0;
  let updated = 0;
  for (const account of accounts) {
    const batch = await step(run, () => connector.listTransactions(run.context, account, since));
    const counts = await leased(run, async (trx) => {
      const accountId = await upsertAccount(trx, credential, account, now);
      if (batch.coverage === "unreadable") return undefined;
      if (batch.balance !== undefined) await setBalance(trx, accountId, batch.balance, now);
      const bank = await upsertTransactions(trx, credential.tenant_id, accountId, batch.transactions, now);
      if (batch.investment === undefined) return bank;
      const invest = await upsertInvestments(trx, credential.tenant_id, accountId, batch.investment, now);
      return { added: bank.added + invest.added, updated: bank.updated + invest.updated };
    });
    if (counts === undefined) {
      unreadable += 1;
      if (batch.problem !== undefined) problems.push(`${account.externalId}: ${batch.problem}`);
      continue;
    }
    seen += batch.transactions.length + (batch.investment?.transactions.length ?? 0);
    added += counts.added;
    updated += counts.updated;
    if (batch.coverage === "partial") partial += 1;
    if (batch.history === "loading") loading += 1;
  }
  const detail = {
    accounts: accounts.length,
    transactions: seen,
    added,
    updated,
    ...(problems.length === 0 ? {} : { message: problems.join("; ") }),
  };
  if (loading > 0 && unreadable === 0 && job.step !== "continue") {
    await apply(
      run,
      {
        phase: "queued",
        step: "continue",
        run_after: ctx.clock.now(),
        lease_owner: null,
        lease_expires_at: null,
        session_enc: sealSession(run),
      },
      [{ code: CredentialStatus.Pending, detail }],
    );
    return;
  }
  const code =
    accounts.length === 0
      ? CredentialStatus.NoAccounts
      : unreadable > 0
        ? CredentialStatus.Incomplete
        : partial > 0 || loading > 0
          ? CredentialStatus.PartialTransactions
          : seen === 0
            ? CredentialStatus.NoTransactions
            : CredentialStatus.Finish;
  // Before the job ends, not after: once a job is done, nothing of it is still being written.
  await leased(run, (trx) =>
    trx.updateTable("link_credentials").set({ synced_until: now }).where("id", "=", credential.id).execute(),
  );
  await apply(run, finished(ctx.clock.now()), [{ code, detail }]);
}
