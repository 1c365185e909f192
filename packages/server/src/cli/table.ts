/** Plain-text output for people: aligned tables and "key: value" lines. */

/** A header row and rows, each column padded to its widest cell, two spaces apart. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** One "key: value" line per field; an empty value is "-", so no line ends in a bare colon. */
export function fieldLines(view: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(view).map(
    ([key, value]) => `${key}: ${value === null || value === undefined || value === "" ? "-" : value}`,
  );
}
