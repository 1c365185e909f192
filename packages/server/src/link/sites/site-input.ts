import { X509Certificate } from "node:crypto";
import { TesseraApiCode } from "@tessera/codes";
import { parseRfc3339 } from "../../app/rfc3339-time.ts";
import { timeInput } from "../../app/route-schemas.ts";
import { asRecord, shapeCheck } from "../../app/shape-checks.ts";
import { EXPECT_KEYWORD } from "../../app/validator-compiler.ts";
import { parseWebhookUrl } from "../webhooks/webhook-address.ts";
import { sandboxSites } from "./sandbox-sites.ts";

/**
 * What an operator or a tenant administrator may send to add or change a site: ONE set of JSON
 * schemas and checks for the API (route schemas) and the CLI and file import (site-validation.ts
 * compiles the same schemas with the API's validator), so the two cannot drift.
 */
export const siteKinds = ["personal-banking", "business-banking", "credit-card", "brokerage"] as const;
export const ofxVersions = [
  "102",
  "103",
  "151",
  "160",
  "200",
  "201",
  "202",
  "203",
  "210",
  "211",
  "220",
] as const;
export const ofxAccountTypes = [
  "checking",
  "savings",
  "moneymrkt",
  "cd",
  "creditline",
  "creditcard",
] as const;
export const weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const MAX_CA_BYTES = 64 * 1024;
export const MAX_WINDOWS = 50;

/** Text people read (names, labels): printable, no control characters (NUL, line breaks). */
const text = (maxLength: number) =>
  ({
    type: "string",
    minLength: 1,
    maxLength,
    pattern: "^[^\\u0000-\\u001f\\u007f]+$",
    [EXPECT_KEYWORD]: `text of 1 to ${maxLength} characters without control characters`,
  }) as const;
/** OFX identifiers (ORG, FID, APPID, APPVER) travel inside SGML/XML: printable ASCII, no markup. */
const ofxToken = (maxLength: number) =>
  ({
    type: "string",
    minLength: 1,
    maxLength,
    pattern: "^[\\x20-\\x7e]+$",
    not: { pattern: "[<>&]" },
    [EXPECT_KEYWORD]: `printable ASCII of 1 to ${maxLength} characters, without <, > or &`,
  }) as const;

const reservedIds = new Set(sandboxSites.map((site) => site.id));
const idShape = shapeCheck("site-id", (value) =>
  typeof value === "string" && reservedIds.has(value)
    ? [{ code: TesseraApiCode.MalformedRequest, reason: "is the id of a built-in Sandbox Bank site" }]
    : [],
);

/** The URL's form only; where it points (private networks, the setting) is site-address.ts's. */
const urlShape = shapeCheck("site-url", (value) => {
  const url = typeof value === "string" ? parseWebhookUrl(value, true) : undefined;
  return typeof url === "string"
    ? [{ code: TesseraApiCode.MalformedRequest, reason: `is refused: ${url}` }]
    : [];
});

/** A zone Intl knows (what maintenance windows are evaluated with), by IANA name. */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
const zoneShape = shapeCheck("site-time-zone", (value) =>
  typeof value === "string" && !isTimeZone(value)
    ? [{ code: TesseraApiCode.MalformedRequest, reason: "must be an IANA time zone, such as Europe/Berlin" }]
    : [],
);

/** Why PEM text is not a bundle of X.509 certificates, or undefined when it is one. */
export function caProblem(pem: string): string | undefined {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return "must hold PEM certificates (-----BEGIN CERTIFICATE-----)";
  if (pem.replace(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g, "").trim() !== "")
    return "must hold only PEM certificates";
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `certificate ${index + 1} is not a readable X.509 certificate`;
    }
  }
  return undefined;
}
const caShape = shapeCheck("site-tls-ca", (value) => {
  const problem = typeof value === "string" ? caProblem(value) : undefined;
  return problem === undefined ? [] : [{ code: TesseraApiCode.MalformedRequest, reason: problem }];
});

/** A window's times as they arrive (RFC 3339 or deprecated epoch ms) or after conversion. */
const instant = (value: unknown) =>
  typeof value === "number" ? value : typeof value === "string" ? parseRfc3339(value) : undefined;
const onlyFor = { once: ["from", "until"], weekly: ["days", "start", "end", "timeZone"] } as const;
/**
 * What one JSON schema of a window cannot say: which properties belong to its kind, and that
 * `until` comes after `from` (a weekly window whose end is before its start crosses midnight).
 */
const windowShape = shapeCheck("site-maintenance-window", (value) => {
  const window = asRecord(value);
  if (window === undefined || (window.kind !== "once" && window.kind !== "weekly")) return [];
  const other = window.kind === "once" ? "weekly" : "once";
  const problems = onlyFor[other]
    .filter((name) => window[name] !== undefined)
    .map((name) => ({
      code: TesseraApiCode.MalformedRequest,
      path: name,
      reason: `is only for ${other} windows`,
    }));
  const [from, until] = [instant(window.from), instant(window.until)];
  if (window.kind === "once" && from !== undefined && until !== undefined && until <= from)
    problems.push({ code: TesseraApiCode.MalformedRequest, path: "until", reason: "must be after from" });
  if (window.kind === "weekly" && typeof window.start === "string" && window.start === window.end)
    problems.push({ code: TesseraApiCode.MalformedRequest, path: "end", reason: "must differ from start" });
  return problems;
});

const clock = {
  type: "string",
  maxLength: 5,
  pattern: "^([01][0-9]|2[0-3]):[0-5][0-9]$",
  [EXPECT_KEYWORD]: "a time of day, HH:MM (24 h)",
} as const;

/**
 * A maintenance window. On the wire a weekly window's times of day are `start` and `end` (every
 * `from`/`until` of the API is an instant, RFC 3339); stored, they are the Site shape's from/until.
 */
export const maintenanceWindowInput = {
  type: "object",
  properties: {
    kind: {
      type: "string",
      enum: ["once", "weekly"],
      description: "`once`: from/until; `weekly`: days, start, end, timeZone",
    },
    from: { ...timeInput, description: `once: the first instant of the window. ${timeInput.description}` },
    until: { ...timeInput, description: `once: the end of the window, after from. ${timeInput.description}` },
    days: {
      type: "array",
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      items: { type: "string", enum: weekdays },
      description: "weekly: the days the window starts on",
    },
    start: { ...clock, description: "weekly: the time of day it starts, HH:MM" },
    end: {
      ...clock,
      description: "weekly: the time of day it ends, HH:MM; before start, it ends the next day",
    },
    timeZone: {
      type: "string",
      maxLength: 64,
      ...zoneShape,
      description: "weekly: the IANA time zone of start and end",
    },
  },
  required: ["kind"],
  additionalProperties: false,
  if: { properties: { kind: { const: "once" } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, a schema that is never awaited
  then: { required: ["from", "until"] },
  else: { required: ["days", "start", "end", "timeZone"] },
  ...windowShape,
} as const;

const fieldLabels = {
  type: "object",
  properties: { label: text(100), maxLength: { type: "integer", minimum: 1, maximum: 1000 } },
  additionalProperties: false,
} as const;

/** OFX Direct Connect settings; a new site needs ORG and FID, a change may give any of them. */
const ofxOptions = (required: readonly string[]) =>
  ({
    type: "object",
    properties: {
      org: ofxToken(32),
      fid: ofxToken(32),
      appId: ofxToken(32),
      appVer: ofxToken(32),
      ofxVersion: { type: "string", enum: ofxVersions },
      currency: {
        type: "string",
        maxLength: 3,
        pattern: "^[A-Z]{3}$",
        [EXPECT_KEYWORD]: "an ISO 4217 code, such as USD",
      },
      accountTypes: {
        type: "array",
        minItems: 1,
        maxItems: ofxAccountTypes.length,
        uniqueItems: true,
        items: { type: "string", enum: ofxAccountTypes },
      },
    },
    required,
    additionalProperties: false,
  }) as const;

/** Every property a site has on the wire, each optional; POST requires some, PATCH none. */
const siteProperties = {
  name: text(200),
  organisation: text(200),
  kind: { type: "string", enum: siteKinds },
  connector: { type: "string", enum: ["ofx"] },
  url: { type: "string", minLength: 1, maxLength: 2000, ...urlShape },
  options: ofxOptions([]),
  fields: {
    type: "object",
    properties: { login: fieldLabels, password: fieldLabels },
    additionalProperties: false,
  },
  maxConcurrency: { type: "integer", minimum: 1, maximum: 1000 },
  enabled: { type: "boolean" },
  maintenance: { type: "array", maxItems: MAX_WINDOWS, items: maintenanceWindowInput },
  tls: {
    type: "object",
    properties: { ca: { type: ["string", "null"], minLength: 1, maxLength: MAX_CA_BYTES, ...caShape } },
    additionalProperties: false,
  },
} as const;

export const siteIdInput = {
  type: "string",
  minLength: 2,
  maxLength: 63,
  pattern: "^[a-z0-9][a-z0-9-]{1,62}$",
  [EXPECT_KEYWORD]: "2 to 63 lower-case letters, digits and hyphens, starting with a letter or digit",
  ...idShape,
} as const;

export const newSiteSchema = {
  type: "object",
  properties: { id: siteIdInput, ...siteProperties, options: ofxOptions(["org", "fid"]) },
  required: ["id", "name", "organisation", "kind", "url", "options"],
  additionalProperties: false,
} as const;

export const siteChangesSchema = {
  type: "object",
  properties: siteProperties,
  minProperties: 1,
  additionalProperties: false,
} as const;

export interface FieldLabelsInput {
  readonly label?: string;
  readonly maxLength?: number;
}
export interface MaintenanceInput {
  readonly kind: "once" | "weekly";
  readonly from?: number | string;
  readonly until?: number | string;
  readonly days?: readonly string[];
  readonly start?: string;
  readonly end?: string;
  readonly timeZone?: string;
}
export interface SiteChangesInput {
  readonly name?: string;
  readonly organisation?: string;
  readonly kind?: string;
  readonly connector?: "ofx";
  readonly url?: string;
  readonly options?: {
    readonly org: string;
    readonly fid: string;
    readonly appId?: string;
    readonly appVer?: string;
    readonly ofxVersion?: string;
    readonly currency?: string;
    readonly accountTypes?: readonly string[];
  };
  readonly fields?: { readonly login?: FieldLabelsInput; readonly password?: FieldLabelsInput };
  readonly maxConcurrency?: number;
  readonly enabled?: boolean;
  readonly maintenance?: readonly MaintenanceInput[];
  readonly tls?: { readonly ca?: string | null };
}
export interface NewSiteInput extends SiteChangesInput {
  readonly id: string;
  readonly name: string;
  readonly organisation: string;
  readonly kind: string;
  readonly url: string;
  readonly options: NonNullable<SiteChangesInput["options"]>;
}
