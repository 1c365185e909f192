/**
 * RFC 4180 CSV: comma-separated, fields optionally in double quotes, "" for a quote inside quotes,
 * CRLF or LF line ends. Returns rows of fields; blank lines are skipped.
 */
export function parseCsv(text: string): string[][] {
  return parseCsvLines(text).map((row) => row.fields);
}

/** parseCsv with the line (1-based) each row starts on, so an import can name a bad row's line. */
export function parseCsvLines(raw: string): { line: number; fields: string[] }[] {
  // A byte-order mark (Excel's "CSV UTF-8") is not part of the first header name.
  const text = raw.replace(/^\uFEFF/, "");
  const rows: { line: number; fields: string[] }[] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line += 1;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") {
        i += 1;
        line += 1;
      }
      row.push(field);
      if (row.some((f) => f !== "")) rows.push({ line: start, fields: row });
      row = [];
      field = "";
      start = line;
    } else field += c;
  }
  row.push(field);
  if (row.some((f) => f !== "")) rows.push({ line: start, fields: row });
  return rows;
}
