import fc from "fast-check";

/**
 * fast-check arbitraries from the JSON schemas of the OpenAPI document: every field gets, besides
 * plausible values (so that a request can pass the other fields and reach the one under attack),
 * the extremes: numbers at and past 2^31, 2^53 and 2^64, negative, fractional and unrepresentable
 * ones, strings at and past their maxLength and far past the body limit, arrays past maxItems.
 */
export type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  minimum?: number;
  maximum?: number;
};

/** A number written into the JSON text as is, so that values a double cannot hold reach the server. */
export class RawNumber {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

export const extremeNumberTexts = [
  "2147483647",
  "2147483648",
  "-2147483648",
  "-2147483649",
  "4294967296",
  "281474976710656",
  "253402300800000",
  "9007199254740991",
  "9007199254740992",
  "9007199254740993",
  "18446744073709551616",
  "-9007199254740993",
  "-1",
  "-0",
  "0",
  "0.5",
  "-1.5",
  "1e-400",
  "1e300",
  "1e400",
  "-1e400",
] as const;

const extremeNumber = fc.constantFrom(...extremeNumberTexts).map((t) => new RawNumber(t));

/** Strings at and past a length limit, and past the 64 KiB body limit. */
function extremeString(maxLength: number | undefined, known: readonly string[]): fc.Arbitrary<string> {
  const limit = maxLength ?? 1000;
  return fc.oneof(
    fc.constantFrom(...(known.length > 0 ? known : ["x"])),
    fc.string({ maxLength: 20 }),
    fc.constantFrom(
      "a".repeat(limit),
      "a".repeat(limit + 1),
      "😀".repeat(Math.ceil((limit + 1) / 2)),
      "9".repeat(400),
      "a".repeat(60_000),
      "a".repeat(200_000),
      // NUL, alone and after a value that exists: PostgreSQL cannot store it.
      "\u0000",
      `${known[0] ?? "x"}\u0000`,
    ),
  );
}

/** Values for one schema; `known` names values that exist on the server (ids, usernames). */
export function valueFor(
  schema: Schema,
  name: string,
  known: Record<string, readonly string[]>,
): fc.Arbitrary<unknown> {
  const types = [schema.type ?? "object"].flat();
  const options: fc.Arbitrary<unknown>[] = [extremeNumber];
  if (types.includes("null")) options.push(fc.constant(null));
  if (types.includes("integer") || types.includes("number"))
    options.push(
      fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, 2 ** 31) }),
      fc.double({ noNaN: true }),
    );
  if (types.includes("string"))
    options.push(
      schema.enum === undefined
        ? extremeString(schema.maxLength, known[name] ?? [])
        : fc.constantFrom(...(schema.enum as string[])),
    );
  if (types.includes("boolean")) options.push(fc.boolean());
  if (types.includes("array")) {
    const item = valueFor(schema.items ?? {}, name, known);
    const tooMany = (schema.maxItems ?? 1000) + 1;
    options.push(
      fc.array(item, { maxLength: 3 }),
      fc.array(item, { minLength: tooMany, maxLength: tooMany }),
    );
  }
  if (types.includes("object")) options.push(objectFor(schema, known));
  return fc.oneof(...options);
}

/** A request body: mostly an object of the schema's fields, sometimes anything else. */
export function bodyFor(schema: Schema, known: Record<string, readonly string[]>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: objectFor(schema, known), weight: 5 },
    { arbitrary: valueFor(schema, "", known), weight: 1 },
  );
}

function objectFor(schema: Schema, known: Record<string, readonly string[]>): fc.Arbitrary<unknown> {
  if (schema.properties === undefined) {
    // A free-form object (credential fields, 2FA answers): many keys, long values, numbers.
    const tooMany = (schema.maxProperties ?? 20) + 1;
    const entry = valueFor({ type: ["string", "integer"], maxLength: 200 }, "", known);
    return fc.oneof(
      fc.dictionary(fc.constantFrom("username", "password", "token", "x"), entry, { maxKeys: 3 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), entry, { minKeys: tooMany, maxKeys: tooMany }),
    );
  }
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(schema.properties))
    fields[key] = valueFor(property, key, known);
  return fc.record(fields, { requiredKeys: [] });
}

/** JSON text of a generated value, with every RawNumber written as its literal text. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (!(v instanceof RawNumber)) return v;
    raws.push(v.text);
    return `\u0000raw${raws.length - 1}\u0000`;
  });
  return (text ?? "null").replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)] ?? "0");
}

/** A query-string value: raw numbers as their text, everything else as JSON or as is. */
export function toQueryText(value: unknown): string {
  if (value instanceof RawNumber) return value.text;
  return typeof value === "string" ? value.slice(0, 5000) : toJsonText(value);
}
