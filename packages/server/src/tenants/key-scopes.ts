import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyRequest } from "fastify";

/**
 * What an API key may do. `admin` implies every other scope and alone manages the tenant and its
 * keys; the others name one part of the API, so a key in a login page's back end (`auth`) cannot
 * reset passwords, read the audit trail or mint keys.
 */
export const scopes = ["auth", "users", "tokens", "audit", "link", "admin"] as const;
export type Scope = (typeof scopes)[number];

/** The JSON schema of a scope list in request bodies; an unknown name is a 400 naming the item. */
export const scopesSchema = {
  type: "array",
  minItems: 1,
  maxItems: scopes.length,
  uniqueItems: true,
  items: { type: "string", enum: scopes },
} as const;

export const isScope = (name: string): name is Scope => (scopes as readonly string[]).includes(name);

export const encodeScopes = (list: readonly Scope[]): string => [...new Set(list)].join(" ");

/** Unknown names in a stored value grant nothing (fail closed). */
export const decodeScopes = (stored: string): Scope[] => stored.split(" ").filter(isScope);

/**
 * onRequest hook after tenant authentication: the route's declared scope (route config `scope`)
 * must be one of the key's. A route that declares none needs `admin`, so a route added without
 * thinking about access is closed to narrow keys rather than open to all.
 */
export async function requireScope(request: FastifyRequest): Promise<void> {
  const needed: Scope = request.routeOptions.config.scope ?? "admin";
  const held = request.keyScopes ?? [];
  if (held.includes("admin") || held.includes(needed)) return;
  throw new TesseraError(ApiReturnCode.PartnerUserLoginFailedNotAdmin, {
    message: `this API key lacks the "${needed}" scope`,
    field: "headers.authorization",
  });
}
