import { formatRfc3339 } from "../../app/rfc3339-time.ts";
import { time } from "../../app/route-schemas.ts";
import type { Site } from "./site.ts";

/**
 * A site as the API and the CLI show it: what a login form needs, who owns it (`shared`: the
 * operator's or built in; otherwise the tenant's own), whether the tenant may change it, the
 * operator's controls, and the connector options. A custom CA is shown as present or not: the
 * PEM is long and the operator has it.
 */
const text = { type: "string" } as const;

export const siteSchema = {
  type: "object",
  properties: {
    id: text,
    name: text,
    organisation: text,
    kind: text,
    connector: text,
    fields: {
      type: "array",
      items: {
        type: "object",
        properties: {
          name: text,
          type: text,
          label: text,
          required: { type: "boolean" },
          username: { type: "boolean" },
          token: { type: "boolean" },
          maxLength: { type: "integer" },
        },
      },
    },
    sandbox: { type: "boolean" },
    shared: { type: "boolean" },
    editable: { type: "boolean" },
    url: text,
    enabled: { type: "boolean" },
    maxConcurrency: { type: "integer" },
    maintenance: {
      type: "array",
      items: {
        anyOf: [
          {
            type: "object",
            properties: { kind: { type: "string", enum: ["once"] }, from: time, until: time },
          },
          {
            type: "object",
            properties: {
              kind: { type: "string", enum: ["weekly"] },
              days: { type: "array", items: text },
              start: text,
              end: text,
              timeZone: text,
            },
          },
        ],
      },
    },
    tls: { type: "object", properties: { customCa: { type: "boolean" } } },
    options: {
      type: ["object", "null"],
      description: "the OFX settings of an added site; null for the built-in Sandbox Bank sites",
      properties: {
        org: text,
        fid: text,
        appId: text,
        appVer: text,
        ofxVersion: text,
        currency: text,
        accountTypes: { type: "array", items: text },
      },
    },
  },
} as const;

/** The view for `tenantId` (null: the operator, who may change every stored site). */
export function siteView(site: Site, tenantId: string | null) {
  const { accountTypes, ...options } = site.options ?? {};
  const ofx = site.sandbox ? null : { ...options, accountTypes: accountTypes?.split(",") ?? [] };
  return {
    id: site.id,
    name: site.name,
    organisation: site.organisation,
    kind: site.kind,
    connector: site.connector,
    fields: site.fields,
    sandbox: site.sandbox,
    shared: site.tenantId === null,
    editable: !site.sandbox && (tenantId === null || site.tenantId === tenantId),
    url: site.url,
    enabled: site.enabled,
    maxConcurrency: site.maxConcurrency,
    // Written here, not by app/wire-times.ts: it does not look inside the schema's anyOf.
    maintenance: site.maintenance.map((w) =>
      w.kind === "once"
        ? { kind: w.kind, from: formatRfc3339(w.from), until: formatRfc3339(w.until) }
        : { kind: w.kind, days: w.days, start: w.from, end: w.until, timeZone: w.timeZone },
    ),
    // A listed site's CA is not read, only whether it has one: then `tls` is there without `ca`.
    tls: { customCa: site.tls !== undefined },
    options: ofx,
  };
}
