import { type OfxVersion, sgmlVersions } from "./ofx-options.ts";
import type { OfxNode } from "./ofx-tree.ts";

/** The OFX version a document is written in: 1.x as SGML (leaves unclosed), 2.x as XML. */
export type OfxDialect = OfxVersion;

function escapeText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function renderNode(node: OfxNode, closeLeaves: boolean, out: string[]): void {
  if (node.text !== undefined) {
    out.push(`<${node.name}>${escapeText(node.text)}${closeLeaves ? `</${node.name}>` : ""}`);
    return;
  }
  out.push(`<${node.name}>`);
  for (const child of node.children) renderNode(child, closeLeaves, out);
  out.push(`</${node.name}>`);
}

/** Writes a document with the header of its dialect; `uid` fills NEWFILEUID. */
export function renderOfx(root: OfxNode, dialect: OfxDialect, uid = "NONE"): string {
  const out: string[] = [];
  if ((sgmlVersions as readonly string[]).includes(dialect)) {
    out.push(
      "OFXHEADER:100",
      "DATA:OFXSGML",
      `VERSION:${dialect}`,
      "SECURITY:NONE",
      "ENCODING:USASCII",
      "CHARSET:1252",
      "COMPRESSION:NONE",
      "OLDFILEUID:NONE",
      `NEWFILEUID:${uid}`,
      "",
    );
    renderNode(root, false, out);
  } else {
    out.push(
      '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
      `<?OFX OFXHEADER="200" VERSION="${dialect}" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="${uid}"?>`,
    );
    renderNode(root, true, out);
  }
  return `${out.join("\n")}\n`;
}
