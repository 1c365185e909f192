import type { OfxNode } from "./ofx-tree.ts";

export interface OfxDocument {
  /** "1" for SGML (OFXHEADER:100), "2" for XML (OFXHEADER="200"). */
  readonly major: "1" | "2";
  readonly version: string;
  readonly header: Readonly<Record<string, string>>;
  readonly root: OfxNode;
}

export class OfxParseError extends Error {
  override readonly name = "OfxParseError";
}

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decode(raw: string): string {
  return raw.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code =
        entity[1] === "x" || entity[1] === "X"
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1));
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return entities[entity.toLowerCase()] ?? whole;
  });
}

function readHeader(head: string): { major: "1" | "2"; header: Record<string, string> } {
  const header: Record<string, string> = {};
  const processing = /<\?OFX\s+([^?]*)\?>/i.exec(head);
  if (processing?.[1] !== undefined) {
    for (const [, key, value] of processing[1].matchAll(/([A-Z]+)="([^"]*)"/gi))
      if (key !== undefined && value !== undefined) header[key.toUpperCase()] = value;
    return { major: "2", header };
  }
  for (const line of head.split(/\r?\n/)) {
    const match = /^\s*([A-Z]+):(.*)$/i.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) header[match[1].toUpperCase()] = match[2].trim();
  }
  if (header.OFXHEADER === undefined) throw new OfxParseError("no OFX header");
  return { major: "1", header };
}

type Token = { kind: "open" | "close"; name: string } | { kind: "text"; value: string };

function tokenize(body: string): Token[] {
  const tokens: Token[] = [];
  for (const match of body.matchAll(/<(\/?)([A-Za-z0-9._-]*)>|([^<]+)|</g)) {
    if (match[3] !== undefined) {
      const value = match[3].trim();
      if (value !== "") tokens.push({ kind: "text", value: decode(value) });
    } else if (match[2] !== undefined && match[2] !== "") {
      tokens.push({ kind: match[1] === "/" ? "close" : "open", name: match[2].toUpperCase() });
    }
  }
  return tokens;
}

/**
 * Parses OFX 1.x (SGML, leaves unclosed) and 2.x (XML) alike: an element followed by text is a
 * leaf, whose closing tag is optional; any other element is an aggregate closed by its end tag.
 * Mismatched end tags close everything opened since the matching element, as SGML would.
 */
export function parseOfx(source: string): OfxDocument {
  const start = source.search(/<OFX>/i);
  if (start < 0) throw new OfxParseError("no <OFX> element");
  const { major, header } = readHeader(source.slice(0, start));
  const tokens = tokenize(source.slice(start));
  const root: OfxNode = { name: "#document", children: [] };
  const stack: OfxNode[] = [root];
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] as Token;
    const parent = stack[stack.length - 1] as OfxNode;
    if (token.kind === "text") continue;
    if (token.kind === "close") {
      const depth = stack.findLastIndex((node) => node.name === token.name);
      if (depth > 0) stack.length = depth;
      continue;
    }
    const next = tokens[i + 1];
    if (next?.kind === "text") {
      parent.children.push({ name: token.name, text: next.value, children: [] });
      i += 1;
      const after = tokens[i + 1];
      if (after?.kind === "close" && after.name === token.name) i += 1;
    } else if (next?.kind === "close" && next.name === token.name) {
      parent.children.push({ name: token.name, text: "", children: [] });
      i += 1;
    } else {
      const node: OfxNode = { name: token.name, children: [] };
      parent.children.push(node);
      stack.push(node);
    }
  }
  const ofx = root.children.find((node) => node.name === "OFX");
  if (ofx === undefined) throw new OfxParseError("no <OFX> element");
  return { major, version: header.VERSION ?? (major === "1" ? "102" : "200"), header, root: ofx };
}
