import { createRequire } from "node:module";

/**
 * The `radius` package's dictionary (RFC 2865 and its successors), as much of it as this code
 * reads. Loaded through require with a local type instead of a `declare module`, so this part
 * and the listener (which declares the module for encoding) never declare it twice.
 */
interface RadiusDictionary {
  load_dictionaries(): void;
  attr_name_to_id(name: string, vendorId?: number): string | undefined;
  _attr_to(name: string, vendorId: number | undefined, target: 2 | 4 | 5): unknown;
}

const radius = createRequire(import.meta.url)("radius") as RadiusDictionary;
radius.load_dictionaries();

export interface DictionaryAttribute {
  readonly id: number;
  readonly name: string;
  /** string, text, integer, ipaddr, date, time, octets, … (lower case) */
  readonly type: string;
  /** Named values of an integer attribute (Service-Type's Framed-User is 2). */
  readonly values: Readonly<Record<string, string>>;
  /** The attribute is hidden with the shared secret (User-Password, Tunnel-Password). */
  readonly encrypted: boolean;
}

/** The standard (non-vendor) attribute of that exact name, as the dictionary spells it. */
export function dictionaryAttribute(name: string): DictionaryAttribute | undefined {
  const id = radius.attr_name_to_id(name);
  if (id === undefined) return undefined;
  const modifiers = (radius._attr_to(name, undefined, 5) ?? {}) as Record<string, boolean>;
  const canonical = (radius._attr_to(name, undefined, 1 as 2) ?? name) as string;
  return {
    id: Number(id),
    name: canonical,
    type: String(radius._attr_to(name, undefined, 2)),
    values: (radius._attr_to(name, undefined, 4) ?? {}) as Record<string, string>,
    encrypted: modifiers["encrypt=1"] === true || modifiers["encrypt=2"] === true,
  };
}
