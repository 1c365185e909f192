import { CredentialStatus, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { SecondFactorField } from "../connectors/connector.ts";
import { jobAnswer, sealJson } from "../link-secrets.ts";
import { expireQuestion } from "./claim-job.ts";
import { findJob, type JobRow, transition } from "./job-store.ts";

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
