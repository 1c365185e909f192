import { CredentialStatus, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { SecondFactorField } from "../connectors/connector.ts";
import { jobAnswer, sealJson } from "../link-secrets.ts";
import { expireQuestion } from "./claim-job.ts";
import { type JobRow, transition } from "./job-store.ts";

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
    throw new TesseraError(TesseraApiCode.JobNotWaiting, {
      message: `job ${job.id}'s question expired (TwofaTimeout)`,
    });
  }
  const notWaiting = () =>
    new TesseraError(TesseraApiCode.JobNotWaiting, {
      message: `job ${job.id} is not waiting for a second factor`,
    });
  if (job.phase !== "waiting" || job.question === null) throw notWaiting();
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
  if (!applied) throw notWaiting();
  ctx.link.notify(job.id);
  // The job is queued again: this process's worker takes it now rather than at the next poll.
  ctx.link.nudge();
}
