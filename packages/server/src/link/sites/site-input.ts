import { X509Certificate } from "node:crypto";
import { TesseraApiCode } from "@tessera/codes";
import { shapeCheck } from "../../app/shape-checks.ts";
import { EXPECT_KEYWORD } from "../../app/validator-compiler.ts";
import { parseOutboundUrl } from "../../net/outbound-url.ts";
import {
  OFX_CURRENCY_PATTERN,
  OFX_TOKEN_MAX,
  OFX_TOKEN_PATTERN,
  OFX_TOKEN_RULE,
  ofxAccountTypes,
  ofxVersions,
} from "../ofx/ofx-options.ts";
import { sandboxSites } from "./sandbox-sites.ts";
import { MAX_WINDOWS, type MaintenanceInput, maintenanceWindowInput } from "./site-maintenance-input.ts";

/**
 * What an operator or a tenant administrator may send to add or change a site: ONE set of JSON
 * schemas and checks for the API (route schemas) and the CLI and file import (site-validation.ts
 * compiles the same schemas with the API's validator), so the two cannot drift.
 */
export const siteKinds = ["personal-banking", "business-banking", "credit-card", "brokerage"] as const;
export const MAX_CA_BYTES = 64 * 1024;

/** Text people read (names, labels): printable, no control characters (NUL, line breaks). */
const text = (maxLength: number) =>
  ({
    type: "string",
    minLength: 1,
    maxLength,
    pattern: "^[^\\u0000-\\u001f\\u007f]+$",
    [EXPECT_KEYWORD]: `text of 1 to ${maxLength} characters without control characters`,
  }) as const;
/** OFX identifiers (ORG, FID, APPID, APPVER): the connector's own rule (ofx-options.ts). */
const ofxToken = {
  type: "string",
  minLength: 1,
  maxLength: OFX_TOKEN_MAX,
  pattern: OFX_TOKEN_PATTERN,
  [EXPECT_KEYWORD]: OFX_TOKEN_RULE,
} as const;

const reservedIds = new Set(sandboxSites.map((site) => site.id));
const idShape = shapeCheck("site-id", (value) =>
  typeof value === "string" && reservedIds.has(value)
    ? [{ code: TesseraApiCode.MalformedRequest, reason: "is the id of a built-in Sandbox Bank site" }]
    : [],
);

/** The URL's form only; where it points (private networks, the setting) is site-url-policy.ts's. */
const urlShape = shapeCheck("site-url", (value) => {
  const url = typeof value === "string" ? parseOutboundUrl(value, true) : undefined;
  return typeof url === "string"
    ? [{ code: TesseraApiCode.MalformedRequest, reason: `is refused: ${url}` }]
    : [];
});

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
      org: ofxToken,
      fid: ofxToken,
      appId: ofxToken,
      appVer: ofxToken,
      ofxVersion: { type: "string", enum: ofxVersions },
      currency: {
        type: "string",
        maxLength: 3,
        pattern: OFX_CURRENCY_PATTERN,
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
