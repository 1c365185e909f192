import { aggregateNames } from "./ofx-aggregates.ts";
import { type OfxToken, scanOfx } from "./ofx-scan.ts";
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

/**
 * The largest document read, in characters: far above any statement (a year of a busy account
 * is a few hundred KB), low enough that the tree of a document this size stays small.
 */
export const maxOfxChars = 16 * 1024 * 1024;
/** The deepest nesting read: real OFX is about 10 levels deep. */
export const maxOfxDepth = 64;

function readHeader(head: string): { major: "1" | "2"; header: Record<string, string> } {
  const header: Record<string, string> = {};
  const processing = /<\?OFX\s+([^?]*)\?>/i.exec(head);
  if (processing?.[1] !== undefined) {
    for (const [, key, value] of processing[1].matchAll(/([A-Z]+)="([^"]*)"/gi))
      if (key !== undefined && value !== undefined) header[key.toUpperCase()] = value;
    return { major: "2", header };
  }
  // Header lines end in LF, CR LF, a bare CR, or CR CR LF as some broker downloads write them.
  for (const line of head.split(/\r\n|\r|\n/)) {
    const match = /^\s*([A-Z]+):(.*)$/i.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) header[match[1].toUpperCase()] = match[2].trim();
  }
  if (header.OFXHEADER === undefined) throw new OfxParseError("no OFX header");
  return { major: "1", header };
}

/**
 * First pass: which elements without a value have their end tag. SGML matches `</X>` with the
 * nearest open X; the open elements of each name are kept per name, so an end tag that matches
 * nothing costs nothing (never a scan of the stack) and each element is popped once.
 */
function closedElements(source: string, start: number): Uint8Array {
  let closed = new Uint8Array(1024);
  const stack: { name: string; ordinal: number }[] = [];
  const open = new Map<string, number>();
  let ordinal = 0;
  let previous: OfxToken | undefined;
  // The leaf just read (an element followed by its value): its own end tag, if next, closes it.
  let leaf: string | undefined;
  for (const token of scanOfx(source, start)) {
    const last = previous;
    previous = token;
    if (token.kind === "text") {
      if (last?.kind !== "open") continue;
      const top = stack.pop() as { name: string };
      open.set(top.name, (open.get(top.name) as number) - 1);
      leaf = top.name;
      continue;
    }
    const closesLeaf = token.kind === "close" && leaf === token.name;
    leaf = undefined;
    if (token.kind === "open") {
      if (ordinal === closed.length) {
        const grown = new Uint8Array(closed.length * 2);
        grown.set(closed);
        closed = grown;
      }
      stack.push({ name: token.name, ordinal });
      open.set(token.name, (open.get(token.name) ?? 0) + 1);
      ordinal += 1;
    } else if (token.kind === "close" && !closesLeaf && (open.get(token.name) ?? 0) > 0) {
      for (;;) {
        const top = stack.pop() as { name: string; ordinal: number };
        open.set(top.name, (open.get(top.name) as number) - 1);
        if (top.name === token.name) {
          closed[top.ordinal] = 1;
          break;
        }
      }
    }
  }
  return closed;
}

/** Every leaf shares one frozen empty list: a compact tree (about a third less memory per leaf). */
const noChildren = Object.freeze([]) as unknown as OfxNode[];

/**
 * Parses OFX 1.x (SGML, leaves unclosed) and 2.x (XML) alike, without recursion and in time
 * linear in the input: an element followed by a value is a leaf (its end tag optional); an element
 * with its end tag is an aggregate; an unclosed element is an aggregate only when OFX defines it
 * as one (it then ends with its parent or at the next sibling of its name), else an empty leaf.
 */
export function parseOfx(source: string): OfxDocument {
  if (source.length > maxOfxChars)
    throw new OfxParseError(`the document is larger than ${maxOfxChars} characters`);
  const start = source.search(/<OFX\s*>/i);
  if (start < 0) throw new OfxParseError("no <OFX> element");
  const { major, header } = readHeader(source.slice(0, start));
  const closed = closedElements(source, start);
  // Every server ends the document with </OFX>: without it the file was cut short, and what is
  // missing (transactions, the balance) cannot be told from what is there.
  if (closed[0] !== 1) throw new OfxParseError("the document ends before </OFX>: it was cut short");
  const root: OfxNode = { name: "#document", children: [] };
  // Each open element, and whether its end tag is in the document.
  const stack: { node: OfxNode; closed: boolean }[] = [{ node: root, closed: true }];
  let pending: { name: string; line: number; closed: boolean } | undefined;
  let ordinal = 0;
  let justLeaf: string | undefined;
  const add = (node: OfxNode) => (stack[stack.length - 1] as { node: OfxNode }).node.children.push(node);
  const openPending = () => {
    if (pending === undefined) return;
    const { name, line, closed: hasEnd } = pending;
    pending = undefined;
    if (!hasEnd && !aggregateNames.has(name)) {
      add({ name, text: "", line, children: noChildren });
      return;
    }
    if (aggregateNames.has(name)) {
      // A new sibling ends an unclosed aggregate of its name (and the unclosed ones inside it).
      let depth = stack.length - 1;
      while (depth > 0 && !(stack[depth] as { closed: boolean }).closed && stack[depth]?.node.name !== name)
        depth -= 1;
      if (depth > 0 && stack[depth]?.node.name === name && !stack[depth]?.closed) stack.length = depth;
    }
    if (stack.length > maxOfxDepth)
      throw new OfxParseError(`elements nested deeper than ${maxOfxDepth} levels at line ${line}`);
    const node: OfxNode = { name, line, children: [] };
    add(node);
    stack.push({ node, closed: hasEnd });
  };
  for (const token of scanOfx(source, start)) {
    if (token.kind === "open") {
      openPending();
      pending = { name: token.name, line: token.line, closed: closed[ordinal] === 1 };
      ordinal += 1;
      justLeaf = undefined;
    } else if (token.kind === "text") {
      if (pending !== undefined) {
        add({ name: pending.name, text: token.value, line: pending.line, children: noChildren });
        justLeaf = pending.name;
        pending = undefined;
      }
    } else if (token.kind === "empty") {
      openPending();
      add({ name: token.name, text: "", line: token.line, children: noChildren });
      justLeaf = undefined;
    } else {
      if (justLeaf === token.name) {
        justLeaf = undefined;
        continue;
      }
      justLeaf = undefined;
      if (pending !== undefined && pending.name === token.name) {
        // <X></X>: an empty element.
        add({ name: pending.name, text: "", line: pending.line, children: noChildren });
        pending = undefined;
        continue;
      }
      openPending();
      let depth = stack.length - 1;
      while (depth > 0 && !(stack[depth] as { closed: boolean }).closed) depth -= 1;
      // Only an end tag the first pass matched closes anything; it matches the innermost closed one.
      if (depth > 0 && stack[depth]?.node.name === token.name) stack.length = depth;
    }
  }
  openPending();
  const ofx = root.children.find((node) => node.name === "OFX");
  if (ofx === undefined) throw new OfxParseError("no <OFX> element");
  return { major, version: header.VERSION ?? (major === "1" ? "102" : "200"), header, root: ofx };
}
