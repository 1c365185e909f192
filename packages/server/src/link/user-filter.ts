import { TesseraApiCode } from "@tessera/codes";
import type { FastifyRequest } from "fastify";
import { asRecord, shapeCheck } from "../app/shape-checks.ts";
import { markDeprecatedUse } from "../app/time-input.ts";
import { normaliseUsername } from "../users/username.ts";

/**
 * Link's lists filter by user as `username`, like the rest of the API. `user`, the name they had
 * first, is a deprecated alias for one release: it still works, answered with a Deprecation header
 * (as epoch times are); both at once is a 400, since they could disagree.
 */
export const userFilterProperties = {
  username: { type: "string", maxLength: 300, description: "only this user's rows" },
  user: {
    type: "string",
    maxLength: 300,
    deprecated: true,
    description: "deprecated alias of `username`",
  },
} as const;

/** Spread into the querystring schema that holds userFilterProperties. */
export const userFilterShape = shapeCheck("link-user-filter", (value) => {
  const query = asRecord(value);
  return query?.user !== undefined && query.username !== undefined
    ? [
        {
          code: TesseraApiCode.MalformedRequest,
          path: "user",
          reason: "is the deprecated name of username; send only username",
        },
      ]
    : [];
});

/** The filter's value, from `username` or (deprecated) `user`; usernames are stored lowercased. */
export function userFilterOf(request: FastifyRequest<{ Querystring: { username?: string; user?: string } }>) {
  const { username, user } = request.query;
  if (user !== undefined) markDeprecatedUse(request.query);
  const value = username ?? user;
  return value === undefined ? undefined : normaliseUsername(value);
}
