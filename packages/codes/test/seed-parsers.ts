import { readFileSync } from "node:fs";

/** Parsers for the three published catalogs, as kept in ../shared/seeds and vendored in fixtures/. */

export const seedDir = new URL("./fixtures/seeds/", import.meta.url);
export const seedFiles = {
  identity: "000_8d51413c4eb35592.txt",
  api: "001_42eab3ff2d820378.txt",
  credential: "002_f8994a7c652b4f0e.txt",
} as const;

export type SeedCode = { readonly name: string; readonly value: number };

const read = (file: string): string => readFileSync(new URL(file, seedDir), "utf8");

/** `public enum APIReturnCode { Success = 0, PartnerLoginFailed = 9000, ... }` */
export function parseApiSeed(): SeedCode[] {
  const body = /public enum APIReturnCode \{([^}]*)\}/.exec(read(seedFiles.api))?.[1];
  if (body === undefined) throw new Error("enum not found in API seed");
  return body.split(",").map((pair) => {
    const [name, value] = pair.split("=").map((part) => part.trim());
    return { name: name ?? "", value: Number(value) };
  });
}

/** Markdown rows `| **Name** | value | description |` */
export function parseIdentitySeed(): SeedCode[] {
  return [...read(seedFiles.identity).matchAll(/^\| \*\*(\w+)\*\* \| (-?\d+) \|/gm)].map((m) => ({
    name: m[1] ?? "",
    value: Number(m[2]),
  }));
}

/** HTML rows `<td>100</td> <td>Register</td>` */
export function parseCredentialSeed(): SeedCode[] {
  return [...read(seedFiles.credential).matchAll(/<td>(\d+)<\/td>\s*<td>(\w+)<\/td>/g)].map((m) => ({
    name: m[2] ?? "",
    value: Number(m[1]),
  }));
}
