import { ofxAccountTypes } from "../ofx/ofx-options.ts";
import type { MaintenanceWindow, Site, SiteField, Weekday } from "./site.ts";
import type { FieldLabelsInput, NewSiteInput, SiteChangesInput } from "./site-input.ts";
import type { MaintenanceInput } from "./site-maintenance-input.ts";

/**
 * Sites built from what site-input.ts validated. An OFX site always asks for two fields, the
 * login and the password (OFX signon has exactly these); the operator names their labels only.
 *
 * The login field is stored under OFX_LOGIN_FIELD, the name the OFX connector reads
 * (`fields.login`, as the built-in sites call it); this is the only place that knows the name.
 */
export const OFX_LOGIN_FIELD = "login";

export const SITE_DEFAULTS = {
  appId: "QWIN",
  appVer: "2700",
  ofxVersion: "102",
  currency: "USD",
  maxConcurrency: 4,
  fieldMaxLength: 200,
} as const;

function field(
  name: string,
  type: SiteField["type"],
  labels: FieldLabelsInput | undefined,
  base: SiteField | undefined,
  label: string,
): SiteField {
  return {
    name,
    type,
    label: labels?.label ?? base?.label ?? label,
    required: true,
    username: type === "text",
    token: false,
    maxLength: labels?.maxLength ?? base?.maxLength ?? SITE_DEFAULTS.fieldMaxLength,
  };
}

function ofxFields(input: SiteChangesInput["fields"], base: readonly SiteField[] = []): SiteField[] {
  return [
    field(
      OFX_LOGIN_FIELD,
      "text",
      input?.login,
      base.find((f) => f.username),
      "User ID",
    ),
    field(
      "password",
      "password",
      input?.password,
      base.find((f) => f.type === "password"),
      "Password",
    ),
  ];
}

/** A window for storage: once-times in epoch milliseconds (validation converted RFC 3339). */
function storedWindow(window: MaintenanceInput): MaintenanceWindow {
  if (window.kind === "once") return { kind: "once", from: Number(window.from), until: Number(window.until) };
  return {
    kind: "weekly",
    days: (window.days ?? []) as Weekday[],
    from: window.start ?? "00:00",
    until: window.end ?? "00:00",
    timeZone: window.timeZone ?? "UTC",
  };
}

/**
 * Connector options as Site.options holds them (text): accountTypes is a comma-separated list in
 * the catalogue's order, all of them by default.
 */
function ofxOptions(
  input: SiteChangesInput["options"],
  base: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const merged = { ...base, ...input } as Record<string, unknown>;
  const types = Array.isArray(input?.accountTypes)
    ? input.accountTypes
    : (base.accountTypes?.split(",") ?? ofxAccountTypes);
  return {
    org: String(merged.org ?? ""),
    fid: String(merged.fid ?? ""),
    appId: String(merged.appId ?? SITE_DEFAULTS.appId),
    appVer: String(merged.appVer ?? SITE_DEFAULTS.appVer),
    ofxVersion: String(merged.ofxVersion ?? SITE_DEFAULTS.ofxVersion),
    currency: String(merged.currency ?? SITE_DEFAULTS.currency),
    accountTypes: ofxAccountTypes.filter((type) => types.includes(type)).join(","),
  };
}

export function siteFromInput(input: NewSiteInput, tenantId: string | null): Site {
  const ca = input.tls?.ca;
  return {
    id: input.id,
    name: input.name,
    organisation: input.organisation,
    kind: input.kind,
    connector: "ofx",
    fields: ofxFields(input.fields),
    sandbox: false,
    tenantId,
    url: input.url,
    maxConcurrency: input.maxConcurrency ?? SITE_DEFAULTS.maxConcurrency,
    enabled: input.enabled ?? true,
    maintenance: (input.maintenance ?? []).map(storedWindow),
    ...(typeof ca === "string" ? { tls: { ca } } : {}),
    options: ofxOptions(input.options),
  };
}

/** The site with the changes applied: options and field labels merge, everything else replaces. */
export function changedSite(site: Site, changes: SiteChangesInput): Site {
  const ca = changes.tls === undefined ? site.tls?.ca : (changes.tls.ca ?? undefined);
  const { tls: _tls, ...rest } = site;
  return {
    ...rest,
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(changes.organisation === undefined ? {} : { organisation: changes.organisation }),
    ...(changes.kind === undefined ? {} : { kind: changes.kind }),
    ...(changes.url === undefined ? {} : { url: changes.url }),
    ...(changes.maxConcurrency === undefined ? {} : { maxConcurrency: changes.maxConcurrency }),
    ...(changes.enabled === undefined ? {} : { enabled: changes.enabled }),
    ...(changes.maintenance === undefined ? {} : { maintenance: changes.maintenance.map(storedWindow) }),
    fields: changes.fields === undefined ? site.fields : ofxFields(changes.fields, site.fields),
    options: changes.options === undefined ? (site.options ?? {}) : ofxOptions(changes.options, site.options),
    ...(ca === undefined ? {} : { tls: { ca } }),
  };
}

/** Key order and absent-versus-undefined do not matter: two sites are the same when their JSON is. */
export function sameSite(a: Site, b: Site): boolean {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : typeof value === "object" && value !== null
        ? Object.fromEntries(
            Object.entries(value)
              .filter(([, v]) => v !== undefined)
              .sort(([x], [y]) => (x < y ? -1 : 1))
              .map(([k, v]) => [k, canonical(v)]),
          )
        : value;
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
