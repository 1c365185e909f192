import type { Ajv, SchemaValidateFunction } from "ajv";
import type { FastifyReply, FastifyRequest } from "fastify";
import { MAX_EPOCH_MS, parseRfc3339 } from "./rfc3339-time.ts";

/**
 * Times arrive as RFC 3339 strings with any offset (PRODUCT.md §4) and are handed to the handler
 * as epoch milliseconds in UTC, the storage form: the conversion happens in validation, here only,
 * through the `x-time` keyword the time schemas of route-schemas.ts carry. Epoch milliseconds are
 * still accepted for one release; a request that used one is answered with a Deprecation header
 * (RFC 9745), so integrators see it in their logs before it stops working.
 */
export const TIME_KEYWORD = "x-time";

/** When epoch-millisecond times were deprecated (this release): 2026-11-30T00:00:00Z. */
export const EPOCH_TIMES_DEPRECATED_AT = Date.UTC(2026, 10, 30);

/** The parsed body or query objects (validation's root data) in which an epoch time was used. */
const usedEpochTimes = new WeakSet<object>();

const expected =
  "must be an RFC 3339 date-time with an offset, such as 2027-06-30T12:00:00Z, from 1970 to 9999";

/**
 * Epoch milliseconds below 10^11 are before 1973-03-03: in practice epoch seconds sent by mistake
 * (1830000000 is 2027-12-28 in seconds, 1970-01-22 in milliseconds), which would create users
 * expired from the start. They are refused, not guessed at. 0 is taken: it is the same instant
 * in seconds and in milliseconds, so there is nothing to mistake.
 */
export const MIN_EPOCH_MS = 1e11;
const looksLikeSeconds =
  "looks like epoch seconds; send an RFC 3339 time such as 2027-06-30T12:00:00Z (epoch numbers are milliseconds, and deprecated)";

/**
 * Adds the keyword to one of the validators. `fromText` is the query-string validator: there every
 * value is text, so an epoch number arrives as digits, and a `+` offset may arrive as a space
 * (form encoding turns an unescaped `+` into one).
 */
export function addTimeKeyword(ajv: Ajv, fromText: boolean): void {
  ajv.addKeyword({ keyword: TIME_KEYWORD, modifying: true, errors: true, validate: timeValidator(fromText) });
}

function timeValidator(fromText: boolean): SchemaValidateFunction {
  const time: SchemaValidateFunction = (_enabled, data, _parent, cxt) => {
    const fail = () => {
      time.errors = [{ keyword: TIME_KEYWORD, message: expected, params: {} }];
      return false;
    };
    if (cxt === undefined || data === null) return true;
    let epoch: number | undefined;
    if (typeof data === "number") epoch = data;
    else if (typeof data === "string" && fromText && /^\d{1,16}$/.test(data)) epoch = Number(data);
    if (epoch !== undefined) {
      if (!Number.isInteger(epoch) || epoch < 0 || epoch > MAX_EPOCH_MS) return fail();
      if (epoch > 0 && epoch < MIN_EPOCH_MS) {
        time.errors = [{ keyword: TIME_KEYWORD, message: looksLikeSeconds, params: {} }];
        return false;
      }
      if (typeof cxt.rootData === "object" && cxt.rootData !== null) usedEpochTimes.add(cxt.rootData);
      setValue(cxt, epoch);
      return true;
    }
    if (typeof data !== "string") return true;
    const at = parseRfc3339(fromText ? data.replace(/ (\d{2}:\d{2})$/, "+$1") : data);
    if (at === undefined) return fail();
    setValue(cxt, at);
    return true;
  };
  return time;
}

function setValue(cxt: NonNullable<Parameters<SchemaValidateFunction>[3]>, value: number): void {
  if (cxt.parentData !== undefined && cxt.parentDataProperty !== undefined)
    (cxt.parentData as Record<string | number, unknown>)[cxt.parentDataProperty] = value;
}

/**
 * Marks a request's query or body as using another deprecated form of this release (Link's `user`
 * filter): it is answered with the same Deprecation header as an epoch time.
 */
export function markDeprecatedUse(root: object): void {
  usedEpochTimes.add(root);
}

/** onSend hook of the whole app: announces the deprecation to a request that used an epoch time. */
export async function announceEpochDeprecation(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!isEpochRequest(request)) return;
  reply.header("deprecation", `@${EPOCH_TIMES_DEPRECATED_AT / 1000}`);
  reply.header("link", '</docs>; rel="deprecation"; type="text/html"');
}

function isEpochRequest(request: FastifyRequest): boolean {
  const { body, query } = request;
  return (
    (typeof body === "object" && body !== null && usedEpochTimes.has(body)) ||
    (typeof query === "object" && query !== null && usedEpochTimes.has(query))
  );
}
