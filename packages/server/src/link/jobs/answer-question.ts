import { CredentialStatus, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { SecondFactorField } from "../connectors/connector.ts";
import { jobAnswer, sealJson } from "../link-secrets.ts";
import { siteForJob } from "../sites/site-directory.ts";
import { NOT_OFFERED, SWITCHED_OFF, siteStillOn } from "../sites/site-kill-switch.ts";
import { expireQuestion } from "./claim-job.ts";
import { findJob, finished, type JobRow, transition } from "./job-store.ts";

/** The answers must name exactly the question's fields; a choice must be one of its options. */
function checkAnswers(
  question: readonly SecondFactorField[],
  answers: Readonly<Record<string, string>>,
): void {
  const bad = (name: string, message: string) =>
    new TesseraError(TesseraApiCode.MalformedRequest, { message, field: `body.twofa.${name}` });
  for (const name of Object.keys(answers))
    if (!question.some((f) => f.name === name)) throw bad(name, `the question has no field "${name}"`);
  for (const field of question) {
    const value = answers[field.name];
    if (value === undefined || value.trim() === "") throw bad(field.name, `"${field.name}" is required`);
    if (field.options !== undefined && !field.options.some((o) => o.value === value))
      throw bad(field.name, `"${field.name}" must be one of ${field.options.map((o) => o.value).join(", ")}`);
  }
}

/**
 * Why an answer cannot be taken. A question past its expiry says "expired" whether a worker's
 * sweep already ended the job with TwofaTimeout or this answer is the first to notice: the user
 * gets the same answer whichever process looked first.
 */
function refusal(job: JobRow, now: number): TesseraError {
  const expired =
    (job.phase === "done" && job.status === CredentialStatus.TwofaTimeout) ||
    (job.phase === "waiting" && job.question_expires_at !== null && job.question_expires_at <= now);
  return new TesseraError(TesseraApiCode.JobNotWaiting, {
    message: expired
      ? `job ${job.id}'s question expired (TwofaTimeout)`
      : `job ${job.id} is not waiting for a second factor`,
  });
}

/**
 * A site switched off while its job waited for the second factor: the answer would be taken
 * (103) and the job would then end 501 without using it. Instead the answer is refused at once
 * (SiteDisabled, as a new connection would be) and the job ends now with the worker's 501, so the
 * user learns why and is not asked again. Compare-and-set on the waiting phase: one ending.
 */
async function refuseSwitchedOff(ctx: ServerContext, job: JobRow, now: number): Promise<void> {
  const site = await siteForJob(ctx, job.site_id, job.tenant_id);
  if (site !== undefined && (await siteStillOn(ctx, site))) return;
  // A site no longer offered (removed, or the Sandbox Bank gone) is not a switched-off one: the
  // job ends as the worker would end it, and the answer says which it was.
  const gone = site === undefined;
  const entry = gone
    ? { code: CredentialStatus.Error, detail: { message: NOT_OFFERED } }
    : { code: CredentialStatus.Unavailable, detail: { message: SWITCHED_OFF } };
  const ended = await transition(ctx.database.db, job.id, { phase: "waiting" }, finished(now), [entry], now);
  if (ended) ctx.link.notify(job.id);
  throw gone
    ? new TesseraError(TesseraApiCode.NotFound, {
        message: `site ${job.site_id} is not offered by this server: the answer is not used, and job ${job.id} ended (500 Error)`,
      })
    : new TesseraError(TesseraApiCode.SiteDisabled, {
        message: `site ${job.site_id} is switched off by the operator: the answer is not used, and job ${job.id} ended (501 Unavailable)`,
      });
}

/**
 * Hands the user's answer to the job: stored encrypted, the job queued for any process to resume
 * (TokenReceived). Compare-and-set on the waiting phase, so of two answers only the first counts.
 */
export async function answerQuestion(
  ctx: ServerContext,
  job: JobRow,
  answers: Readonly<Record<string, string>>,
): Promise<void> {
  const { db } = ctx.database;
  const now = ctx.clock.now();
  if (job.phase === "waiting" && job.question_expires_at !== null && job.question_expires_at <= now) {
    if (await expireQuestion(db, job.id, now)) ctx.link.notify(job.id);
    throw refusal(job, now);
  }
  if (job.phase !== "waiting" || job.question === null) throw refusal(job, now);
  // Before the answers' form: whatever they say, a switched-off site takes none.
  await refuseSwitchedOff(ctx, job, now);
  checkAnswers(JSON.parse(job.question) as SecondFactorField[], answers);
  const applied = await transition(
    db,
    job.id,
    { phase: "waiting" },
    {
      phase: "queued",
      step: "answer",
      run_after: now,
      answer_enc: sealJson(ctx.keys, jobAnswer, job.id, answers),
      question: null,
      question_expires_at: null,
    },
    [{ code: CredentialStatus.TokenReceived }],
    now,
  );
  // Another answer or a sweep got there first: refuse with what the job is now.
  if (!applied) throw refusal((await findJob(db, job.id)) ?? job, now);
  ctx.link.notify(job.id);
  // The job is queued again: this process's worker takes it now rather than at the next poll.
  ctx.link.nudge();
}
