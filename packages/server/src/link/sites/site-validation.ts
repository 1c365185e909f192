import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyError } from "fastify";
import type { FieldProblem } from "../../app/envelope.ts";
import { classifyFrameworkError } from "../../app/error-handler.ts";
import { compileBodyValidator } from "../../app/validator-compiler.ts";
import { type NewSiteInput, newSiteSchema, type SiteChangesInput, siteChangesSchema } from "./site-input.ts";

/**
 * The API's validation of site bodies for the CLI and file imports: the same schemas, compiled by
 * the same validator, reported by the same error wording, with field names relative to the site
 * (`url`, `options.fid`) instead of the request (`body.url`).
 */
const schemas = { new: newSiteSchema, changes: siteChangesSchema } as const;
/** Compiled on first use: the server's routes validate with Fastify's own, so only the CLI pays. */
const validators = new Map<keyof typeof schemas, ReturnType<typeof compileBodyValidator>>();
const validatorFor = (kind: keyof typeof schemas) => {
  let validate = validators.get(kind);
  if (validate === undefined) {
    validate = compileBodyValidator(schemas[kind]);
    validators.set(kind, validate);
  }
  return validate;
};

export type SiteCheck<T> = { ok: true; value: T } | { ok: false; problems: readonly FieldProblem[] };

export function checkSite(kind: "new", candidate: unknown): SiteCheck<NewSiteInput>;
export function checkSite(kind: "changes", candidate: unknown): SiteCheck<SiteChangesInput>;
export function checkSite(kind: "new" | "changes", candidate: unknown): SiteCheck<unknown> {
  // The validator converts times in place: it works on a copy, so the caller's input stays as given.
  const value = structuredClone(candidate);
  const validate = validatorFor(kind);
  if (validate(value)) return { ok: true, value };
  const failure = classifyFrameworkError({
    validation: validate.errors ?? [],
    validationContext: "",
  } as unknown as FastifyError);
  return { ok: false, problems: failure?.errors ?? [{ field: "site", message: "site is invalid." }] };
}

/** checkSite for one command: the first problem is the error, every problem is in its message. */
export function requireSite(kind: "new", candidate: unknown): NewSiteInput;
export function requireSite(kind: "changes", candidate: unknown): SiteChangesInput;
export function requireSite(kind: "new" | "changes", candidate: unknown): unknown {
  const checked = kind === "new" ? checkSite("new", candidate) : checkSite("changes", candidate);
  if (checked.ok) return checked.value;
  throw new TesseraError(TesseraApiCode.MalformedRequest, {
    message: checked.problems.map((p) => p.message).join(" "),
    ...(checked.problems[0] === undefined ? {} : { field: checked.problems[0].field }),
  });
}
