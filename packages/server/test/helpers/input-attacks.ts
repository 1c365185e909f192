import assert from "node:assert/strict";
import fc from "fast-check";
import type { ApiResponse } from "./api-client.ts";

/**
 * Inputs for the WebAuthn attack tests (webauthn-attacks*.property.test.ts): extremes that every
 * field must refuse, random junk for fast-check, and the check that a refusal names its field.
 * Fixed seed: the same inputs on every run (TESSERA_FUZZ_SEED explores others).
 */
export const seed = Number(process.env.TESSERA_FUZZ_SEED) || 20_261_201;
export const extremes: readonly unknown[] = [
  2 ** 31,
  2 ** 53,
  -1,
  -(2 ** 53),
  0.5,
  -0.5,
  1e308,
  null,
  true,
  [],
  {},
  "",
  "\u0000",
  "x".repeat(60_000),
];
export const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...extremes),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.base64String({ maxLength: 120 }).map((t) => t.replace(/\+/g, "-").replace(/\//g, "_").replace(/=/g, "")),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  fc.integer(),
  fc.double(),
);

/** Sets `path` (dot-separated) in a copy of `object` to `value`. */
export function withField(
  object: Record<string, unknown>,
  path: string,
  value: unknown,
): Record<string, unknown> {
  const [head = "", ...rest] = path.split(".");
  if (rest.length === 0) return { ...object, [head]: value };
  const inner = (object[head] ?? {}) as Record<string, unknown>;
  return { ...object, [head]: withField(inner, rest.join("."), value) };
}

export const show = (value: unknown) => JSON.stringify(value)?.slice(0, 80);

/** Below 500, and a refusal names `field` (or a field inside it). */
export function refusedNaming(
  r: ApiResponse,
  field: string,
  value: unknown,
  allowed = new Set<number>(),
): void {
  assert.ok(r.status < 500, `${field}=${show(value)} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.ok(r.status >= 400, `${field}=${show(value)} accepted`);
  const named =
    typeof r.body.field === "string" && (r.body.field === field || r.body.field.startsWith(`${field}.`));
  assert.ok(
    named || allowed.has(r.body.errorCode),
    `${field}=${show(value)}: ${JSON.stringify(r.body).slice(0, 300)}`,
  );
}
