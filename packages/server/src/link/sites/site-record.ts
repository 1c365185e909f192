/**
 * A site as a flat record (the flags of `tessera link site add|update`, the columns of a CSV import)
 * and the body of POST or PATCH /v1/link/sites it makes. One mapping for both, so a flag and a
 * column of the same name always mean the same; the body then goes through the API's validation
 * (site-validation.ts), which names whatever is wrong.
 */
export const siteRecordNames = [
  "id",
  "name",
  "organisation",
  "kind",
  "url",
  "org",
  "fid",
  "appId",
  "appVer",
  "ofxVersion",
  "currency",
  "accountTypes",
  "loginLabel",
  "loginMaxLength",
  "passwordLabel",
  "passwordMaxLength",
  "maxConcurrency",
  "enabled",
] as const;

export type SiteRecord = Partial<Record<(typeof siteRecordNames)[number], string | boolean | undefined>>;

/** Numbers stay text when they are not numbers, for validation to name. */
const numeric = (value: string | boolean | undefined) =>
  typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;

/** "true"/"false" (a CSV cell) or a boolean (a flag); anything else stays text, for validation to name. */
const flag = (value: string | boolean | undefined) =>
  value === "true" ? true : value === "false" ? false : value;

/**
 * Account types separated by commas, spaces or `;` (a CSV cell cannot use a bare comma, a shell
 * argument rarely wants spaces; no account type contains any of them).
 */
const list = (value: string | boolean | undefined) =>
  typeof value === "string" ? value.split(/[\s,;]+/).filter(Boolean) : value;

/** Only the entries that were given; an object with none is absent. */
const given = (entries: Record<string, unknown>) => {
  const present = Object.entries(entries).filter(([, value]) => value !== undefined);
  return present.length === 0 ? undefined : Object.fromEntries(present);
};

/** The record as a body of POST or PATCH /v1/link/sites: only what it gives. */
export function siteFromRecord(r: SiteRecord): Record<string, unknown> {
  return (
    given({
      id: r.id,
      name: r.name,
      organisation: r.organisation,
      kind: r.kind,
      url: r.url,
      options: given({
        org: r.org,
        fid: r.fid,
        appId: r.appId,
        appVer: r.appVer,
        ofxVersion: r.ofxVersion,
        currency: r.currency,
        accountTypes: list(r.accountTypes),
      }),
      fields: given({
        login: given({ label: r.loginLabel, maxLength: numeric(r.loginMaxLength) }),
        password: given({ label: r.passwordLabel, maxLength: numeric(r.passwordMaxLength) }),
      }),
      maxConcurrency: numeric(r.maxConcurrency),
      enabled: flag(r.enabled),
    }) ?? {}
  );
}
