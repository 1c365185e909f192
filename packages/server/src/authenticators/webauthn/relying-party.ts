import { isIP } from "node:net";
import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import type { App } from "../../sso/apps/app.ts";
import type { Tenant } from "../../tenants/tenant-store.ts";

/** Who a ceremony is for: the relying party id and name, and the origins its responses may come from. */
export interface RelyingParty {
  readonly id: string;
  readonly name: string;
  readonly origins: readonly string[];
}

/**
 * The tenant's relying party, with the app's own origins added when a ceremony is for an app.
 * Defaults: the host of publicUrl as id, the tenant's name, publicUrl's origin. The settings were
 * validated when they were stored (requireValidRelyingParty), so nothing is re-checked here.
 */
export function relyingPartyFor(ctx: ServerContext, tenant: Tenant, app?: App): RelyingParty {
  const base = new URL(ctx.publicUrl);
  const own = tenant.webauthnOrigins.length > 0 ? tenant.webauthnOrigins : [base.origin];
  return {
    id: tenant.webauthnRpId ?? base.hostname,
    name: tenant.webauthnRpName ?? tenant.name,
    origins: [...new Set([...own, ...(app?.webauthnOrigins ?? [])])],
  };
}

/** The RP id a tenant's ceremonies use with `rpId` set (or not): its own, or publicUrl's host. */
export const effectiveRpId = (ctx: ServerContext, rpId: string | null): string =>
  rpId ?? new URL(ctx.publicUrl).hostname;

const label = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const domainPattern = new RegExp(`^(?=.{1,253}$)${label}(?:\\.${label})*$`);
const loopbackHosts = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Why `id` cannot be an RP id, or undefined. An RP id is a domain as browsers compare it: lower
 * case, no scheme, port or path. IP literals are refused: browsers refuse them as RP ids
 * (WebAuthn §5.1.3 asks for a valid domain), so a tenant configured with one could never
 * register a key; localhost is a domain and allowed (development).
 */
export function rpIdProblem(id: string): string | undefined {
  if (isIP(id) !== 0 || /^\[.*\]$/.test(id)) return "must be a domain name, not an IP address";
  if (!domainPattern.test(id))
    return "must be a lower-case domain name (no scheme, port or path), e.g. example.com";
  if (/^[0-9.]+$/.test(id)) return "must be a domain name, not an IP address";
  return undefined;
}

/**
 * Why `origin` cannot be an origin of RP `rpId`, or undefined: an https origin (http only for
 * localhost and loopback, as browsers allow WebAuthn there), written exactly as browsers report it
 * (scheme://host[:port], nothing after), whose host is the RP id or a subdomain of it
 * (WebAuthn §5.1.3: the RP id must be a registrable suffix of the origin's effective domain).
 */
export function originProblem(origin: string, rpId: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return "must be an origin such as https://login.example.com";
  }
  if (url.origin !== origin) return "must be an origin exactly as browsers send it: scheme://host[:port]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopbackHosts.has(url.hostname)))
    return "must be https (http only for localhost and loopback addresses)";
  if (url.hostname !== rpId && !url.hostname.endsWith(`.${rpId}`))
    return `must be on the RP id ${rpId} or a subdomain of it`;
  return undefined;
}

const bogus = (field: string, message: string) =>
  new TesseraError(ApiReturnCode.BogusFIDOAppId, { message: `${field} ${message}`, field });

/** BogusFIDOAppId naming the field when `rpId` (null: publicUrl's host, not checked) or an origin is refused. */
export function requireValidRelyingParty(
  ctx: ServerContext,
  rpId: string | null,
  origins: readonly string[],
  fields: { readonly rpId: string; readonly origins: string },
): void {
  if (rpId !== null) {
    const problem = rpIdProblem(rpId);
    if (problem !== undefined) throw bogus(fields.rpId, problem);
  }
  const id = effectiveRpId(ctx, rpId);
  origins.forEach((origin, i) => {
    const problem = originProblem(origin, id);
    if (problem !== undefined) throw bogus(`${fields.origins}.${i}`, problem);
  });
}

/** A legacy U2F AppID: an https URL (http on localhost), BogusFIDOAppId naming `field` otherwise. */
export function requireValidU2fAppId(appId: string, field: string): void {
  let url: URL;
  try {
    url = new URL(appId);
  } catch {
    throw bogus(field, "must be an https URL, e.g. https://example.com/app-id.json");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopbackHosts.has(url.hostname)))
    throw bogus(field, "must be an https URL (http only for localhost)");
}

/**
 * An app's own origins must be origins of the tenant's relying party (a browser refuses a
 * ceremony whose RP id is not a registrable suffix of the page's host): BogusFIDOAppId naming
 * the origin's field otherwise.
 */
export async function requireAppOriginsUnderRpId(
  ctx: ServerContext,
  tenantId: string,
  origins: readonly string[],
  field: (name: string) => string,
): Promise<void> {
  if (origins.length === 0) return;
  const tenant = await ctx.database.db
    .selectFrom("tenants")
    .select("webauthn_rp_id")
    .where("id", "=", tenantId)
    .executeTakeFirst();
  const id = effectiveRpId(ctx, tenant?.webauthn_rp_id ?? null);
  origins.forEach((origin, i) => {
    const problem = originProblem(origin, id);
    if (problem !== undefined) throw bogus(field(`webauthnOrigins.${i}`), problem);
  });
}
