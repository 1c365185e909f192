import type { Ajv, ErrorObject } from "ajv";

/**
 * Checks of a request's shape that JSON Schema cannot say, or that answer with a code of their own
 * (a username's syntax is InvalidPartnerUserLogin, a token's digits InvalidDeviceConfig): they run
 * inside validation, through the `x-shape` keyword, so a request is answered with every problem
 * at once (the schema's and these) before any handler looks anything up in the database. The
 * error handler reports each in `errors` and the first one's code as `errorCode` (docs/api.md).
 *
 * A check sees the data as it arrived, which the schema may be refusing at the same time: it
 * looks only at values of the type it expects and leaves the rest to the schema.
 */
export const SHAPE_KEYWORD = "x-shape";

export interface ShapeProblem {
  /** The catalog code the problem is answered with. */
  readonly code: number;
  /** The property at fault, relative to the checked value (`digits`); absent for the value itself. */
  readonly path?: string;
  /** What is wrong, after the field's name: "must be 6 or 8". */
  readonly reason: string;
}

export type ShapeCheck = (value: unknown) => readonly ShapeProblem[];

const checks = new Map<string, ShapeCheck>();

/** Registers a check under a unique name and gives the schema fragment that runs it. */
export function shapeCheck(name: string, check: ShapeCheck): { readonly [SHAPE_KEYWORD]: string } {
  if (checks.has(name) && checks.get(name) !== check) throw new Error(`shape check ${name} exists`);
  checks.set(name, check);
  return { [SHAPE_KEYWORD]: name };
}

export function addShapeKeyword(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: SHAPE_KEYWORD,
    errors: true,
    compile(name: unknown) {
      const check = typeof name === "string" ? checks.get(name) : undefined;
      // A schema naming a check that does not exist is a programming error, found at start-up.
      if (check === undefined) throw new Error(`unknown shape check ${String(name)}`);
      const validate = (data: unknown, cxt?: { instancePath: string }) => {
        const problems = check(data);
        if (problems.length === 0) return true;
        const base = cxt?.instancePath ?? "";
        validate.errors = problems.map(
          (problem): Partial<ErrorObject> => ({
            keyword: SHAPE_KEYWORD,
            instancePath: problem.path === undefined ? base : `${base}/${problem.path}`,
            schemaPath: "",
            message: problem.reason,
            params: { code: problem.code },
          }),
        );
        return false;
      };
      validate.errors = [] as Partial<ErrorObject>[];
      return validate;
    },
  });
}

/** The value as a record, or undefined: checks of an object body look at it only when it is one. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
