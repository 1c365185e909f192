import type { OfxNode } from "./ofx-tree.ts";

/** OFX versions Tessera writes: 1.0.2 (SGML) and 2.2.0 (XML). */
export type OfxDialect = "102" | "220";

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
  if (dialect === "102") {
    out.push(
      "OFXHEADER:100",
      "DATA:OFXSGML",
      "VERSION:102",
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
      `<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="${uid}"?>`,
    );
    renderNode(root, true, out);
  }
  return `${out.join("\n")}\n`;
}
