import { isIPv4 } from "node:net";
import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../app/server-context.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { dictionaryAttribute } from "./radius-dictionary.ts";

/**
 * The attributes every Access-Accept of a tenant carries (tenant setting radiusReplyAttributes):
 * Class, Session-Timeout, Filter-Id, a VPN group as a vendor-specific attribute. Names are the
 * `radius` package dictionary's (RFC 2865 and successors); a vendor's attribute is given by
 * number, `{name: "Vendor-Specific", vendorId: 9, vendorType: 1, value: "shell:priv-lvl=15"}`.
 */
export interface RadiusReplyAttribute {
  readonly name: string;
  readonly value: string | number;
  readonly vendorId?: number;
  readonly vendorType?: number;
}

/** An attribute as the `radius` package encodes it: the value already in wire form. */
export type EncodedReplyAttribute =
  | readonly [name: string, value: Buffer]
  | readonly [name: "Vendor-Specific", vendorId: number, attributes: [[vendorType: number, value: Buffer]]];

/**
 * Attributes the listener alone decides (State, Reply-Message: replies carry only its generic
 * text; Message-Authenticator), request-only ones, and those hidden with the secret (which need
 * the request's authenticator): a tenant cannot add them.
 */
const reserved = new Set([
  "User-Password",
  "CHAP-Password",
  "CHAP-Challenge",
  "Reply-Message",
  "State",
  "Message-Authenticator",
  "EAP-Message",
  "Proxy-State",
]);
const MAX_VALUE_BYTES = 253;
const MAX_VSA_BYTES = 247;
/** Room left in a 4096-byte packet for what the listener adds. */
export const MAX_TOTAL_BYTES = 2048;
const UINT32_MAX = 4294967295;

export const replyAttributesSchema = {
  type: "array",
  maxItems: 32,
  items: {
    type: "object",
    properties: {
      name: {
        type: "string",
        minLength: 1,
        maxLength: 64,
        description:
          "the attribute's name in the RADIUS dictionary, case-sensitive (Session-Timeout, Class, Vendor-Specific)",
      },
      value: {
        type: ["string", "integer"],
        maxLength: 253,
        minimum: 0,
        maximum: UINT32_MAX,
        description:
          "text (string, text, octets attributes), an integer 0–4294967295 or a value name of the dictionary (integer attributes), an IPv4 address (ipaddr)",
      },
      vendorId: {
        type: "integer",
        minimum: 1,
        maximum: 16777215,
        description: "Vendor-Specific only: the vendor's IANA enterprise number (9 is Cisco)",
      },
      vendorType: {
        type: "integer",
        minimum: 1,
        maximum: 255,
        description: "Vendor-Specific only: the vendor's attribute number",
      },
    },
    required: ["name", "value"],
    additionalProperties: false,
  },
  description:
    'attributes every Access-Accept carries, as the `radius` package\'s dictionary names them: [{"name": "Session-Timeout", "value": 3600}, {"name": "Vendor-Specific", "vendorId": 9, "vendorType": 1, "value": "shell:priv-lvl=15"}]',
} as const;

const refuse = (field: string, why: string) =>
  new TesseraError(TesseraApiCode.MalformedRequest, { message: `${field} ${why}`, field });

function textBytes(value: string | number, field: string, max: number): Buffer {
  if (typeof value !== "string") throw refuse(field, "must be text for this attribute");
  const bytes = Buffer.from(value, "utf8");
  if (bytes.length === 0 || bytes.length > max) throw refuse(field, `must be 1–${max} bytes of UTF-8`);
  return bytes;
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

/** One attribute in wire form, or a MalformedRequest naming the field at `field`. */
function encodeOne(attribute: RadiusReplyAttribute, field: string): EncodedReplyAttribute {
  const { name, value } = attribute;
  const known = dictionaryAttribute(name);
  if (known === undefined || known.name !== name)
    throw refuse(`${field}.name`, `is not an attribute of the RADIUS dictionary: ${JSON.stringify(name)}`);
  const vendor = attribute.vendorId !== undefined || attribute.vendorType !== undefined;
  if (name === "Vendor-Specific") {
    if (attribute.vendorId === undefined || attribute.vendorType === undefined)
      throw refuse(`${field}.vendorId`, "and vendorType are required for a Vendor-Specific attribute");
    const bytes = textBytes(value, `${field}.value`, MAX_VSA_BYTES);
    return ["Vendor-Specific", attribute.vendorId, [[attribute.vendorType, bytes]]];
  }
  if (vendor) throw refuse(`${field}.vendorId`, "is only for a Vendor-Specific attribute");
  if (reserved.has(name) || known.encrypted)
    throw refuse(`${field}.name`, `${name} is set by the listener or not allowed in an Access-Accept`);
  switch (known.type) {
    case "string":
    case "text":
    case "octets":
      return [name, textBytes(value, `${field}.value`, MAX_VALUE_BYTES)];
    case "integer":
    case "time":
    case "date": {
      const named = typeof value === "string" ? known.values[value] : undefined;
      const number = named === undefined ? value : Number(named);
      if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 0 || number > UINT32_MAX)
        throw refuse(
          `${field}.value`,
          `must be an integer 0–${UINT32_MAX}${Object.keys(known.values).length > 0 ? " or a value name of the dictionary" : ""}`,
        );
      return [name, uint32(number)];
    }
    case "ipaddr":
      if (typeof value !== "string" || !isIPv4(value))
        throw refuse(`${field}.value`, "must be an IPv4 address");
      return [name, Buffer.from(value.split(".").map(Number))];
    default:
      throw refuse(`${field}.name`, `has type ${known.type}, which cannot be configured here`);
  }
}

/** Wire size of an encoded attribute: its header and value. */
const sizeOf = (a: EncodedReplyAttribute) => (a.length === 2 ? 2 + a[1].length : 8 + a[2][0][1].length);

/** All of a list in wire form; the first problem is a MalformedRequest naming its field. */
export function encodeReplyAttributes(
  list: readonly RadiusReplyAttribute[],
  field = "body.radiusReplyAttributes",
): EncodedReplyAttribute[] {
  const encoded = list.map((attribute, i) => encodeOne(attribute, `${field}.${i}`));
  const total = encoded.reduce((sum, a) => sum + sizeOf(a), 0);
  if (total > MAX_TOTAL_BYTES)
    throw refuse(
      field,
      `encode to ${total} bytes, more than the ${MAX_TOTAL_BYTES} an Access-Accept leaves for them`,
    );
  return encoded;
}

/**
 * The attributes of the tenant's Access-Accepts, in wire form for the `radius` package's encoder.
 * They were checked when set; a stored list that no longer checks throws (the listener answers
 * nothing rather than an Accept missing the restrictions an administrator configured).
 */
export async function replyAttributesFor(
  _ctx: ServerContext,
  tenant: Tenant,
): Promise<EncodedReplyAttribute[]> {
  return encodeReplyAttributes(tenant.radiusReplyAttributes, "tenant.radiusReplyAttributes");
}
