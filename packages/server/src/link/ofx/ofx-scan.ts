/**
 * The OFX body as a flat stream of tags and text, in one left-to-right pass: comments,
 * processing instructions and declarations are skipped wherever they are, CDATA is text taken
 * verbatim, `<X/>` is an empty element, and every token knows its line (for error messages).
 * Nothing here recurses or backtracks, so the time is linear in the input.
 */
export type OfxToken =
  | { readonly kind: "open" | "close" | "empty"; readonly name: string; readonly line: number }
  | { readonly kind: "text"; readonly value: string; readonly line: number };

const entities: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

function decode(raw: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{1,8});/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code =
        entity[1] === "x" || entity[1] === "X"
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1));
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return entities[entity.toLowerCase()] ?? whole;
  });
}

/** Line breaks are LF, CR LF or a bare CR (CR CR LF counts as two). */
function countLines(source: string, from: number, to: number): number {
  let lines = 0;
  for (let i = from; i < to; i += 1) {
    const c = source.charCodeAt(i);
    if (c === 10 || (c === 13 && source.charCodeAt(i + 1) !== 10)) lines += 1;
  }
  return lines;
}

/** Names as OFX writes them; anything else inside `<…>` is not a tag and is skipped. */
const tagName = /^\/?([A-Za-z][A-Za-z0-9._-]*)\s*(\/?)$/;

export function* scanOfx(source: string, start = 0): Generator<OfxToken> {
  let line = 1 + countLines(source, 0, start);
  const names = new Map<string, string>();
  let at = start;
  let pieces: string[] = [];
  let textLine = line;
  const flush = function* (): Generator<OfxToken> {
    if (pieces.length === 0) return;
    // Whitespace around a value is not part of it (SGML), CDATA or not; comments between pieces vanish.
    const value = pieces.join("").trim();
    pieces = [];
    if (value !== "") yield { kind: "text", value, line: textLine };
  };
  const skipTo = (end: string, from: number): number => {
    const found = source.indexOf(end, from);
    const next = found < 0 ? source.length : found + end.length;
    line += countLines(source, at, next);
    return next;
  };
  while (at < source.length) {
    const lt = source.indexOf("<", at);
    const textEnd = lt < 0 ? source.length : lt;
    if (textEnd > at) {
      const raw = source.slice(at, textEnd);
      const value = pieces.length === 0 ? raw.trimStart() : raw;
      if (pieces.length === 0 && value !== "")
        textLine = line + countLines(source, at, textEnd - value.length);
      if (value !== "") pieces.push(decode(value));
      line += countLines(source, at, textEnd);
      at = textEnd;
    }
    if (lt < 0) break;
    if (source.startsWith("<![CDATA[", lt)) {
      const end = source.indexOf("]]>", lt + 9);
      if (pieces.length === 0) textLine = line;
      pieces.push(source.slice(lt + 9, end < 0 ? source.length : end));
      at = skipTo("]]>", lt + 9);
      continue;
    }
    if (source.startsWith("<!--", lt)) {
      at = skipTo("-->", lt + 4);
      continue;
    }
    if (source.startsWith("<?", lt) || source.startsWith("<!", lt)) {
      at = skipTo(">", lt + 2);
      continue;
    }
    const gt = source.indexOf(">", lt + 1);
    const next = source.indexOf("<", lt + 1);
    if (gt < 0 || (next >= 0 && next < gt)) {
      // A lone "<" is text, as SGML readers take it.
      pieces.push("<");
      at = lt + 1;
      continue;
    }
    const match = tagName.exec(source.slice(lt + 1, gt).trim());
    yield* flush();
    if (match?.[1] !== undefined) {
      // One string per distinct name, shared by every node of it: a compact tree.
      let name = names.get(match[1]);
      if (name === undefined) {
        name = match[1].toUpperCase();
        names.set(match[1], name);
      }
      const closing = source.charCodeAt(lt + 1) === 47;
      yield { kind: closing ? "close" : match[2] === "/" ? "empty" : "open", name, line };
    }
    line += countLines(source, lt, gt + 1);
    at = gt + 1;
  }
  yield* flush();
}
