import { XMLParser } from "fast-xml-parser";

/** Reading the XML tree fast-xml-parser gives: namespaces stripped, attributes as "@Name". */
export type Node = Record<string, unknown>;

export class PskcError extends Error {}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => name === "KeyPackage",
});

export function parseXml(xml: string): Node {
  try {
    return parser.parse(xml, true) as Node;
  } catch (error) {
    throw new PskcError(`not well-formed XML: ${(error as Error).message}`);
  }
}

/** The namespace of the root KeyContainer (prefixes are stripped from the tree, so read the tag). */
export function containerNamespace(xml: string): string | undefined {
  const root = /<(?:([\w.-]+):)?KeyContainer\b([^>]*)>/.exec(xml);
  if (root === null) return undefined;
  const attribute = root[1] === undefined ? "xmlns" : `xmlns:${root[1]}`;
  const declared = new RegExp(`\\s${attribute.replace(".", "\\.")}\\s*=\\s*["']([^"']*)["']`).exec(
    root[2] ?? "",
  );
  return declared?.[1];
}

export const text = (node: unknown): string | undefined =>
  typeof node === "string"
    ? node.trim()
    : typeof node === "object" && node !== null && !Array.isArray(node)
      ? text((node as Node)["#text"])
      : undefined;

export const child = (node: unknown, name: string): Node | undefined => {
  const value = typeof node === "object" && node !== null ? (node as Node)[name] : undefined;
  if (Array.isArray(value)) throw new PskcError(`more than one ${name} element`);
  return typeof value === "object" && value !== null
    ? (value as Node)
    : value === undefined
      ? undefined
      : { "#text": value };
};

export const attribute = (node: Node | undefined, name: string): string | undefined => {
  const value = node?.[`@${name}`];
  return typeof value === "string" ? value.trim() : undefined;
};
