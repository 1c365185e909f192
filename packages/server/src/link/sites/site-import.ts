import { TesseraApiCode, TesseraError } from "@tessera/codes";
import type { ServerContext } from "../../app/server-context.ts";
import { parseCsvLines } from "../../cli/csv.ts";
import { changedSite, sameSite } from "./site-from-input.ts";
import { type SiteRecord, siteFromRecord, siteRecordNames } from "./site-record.ts";
import { storedSite } from "./site-store.ts";
import { siteUrlProblem } from "./site-url-policy.ts";
import { checkSite } from "./site-validation.ts";
import { addSite, updateSite } from "./site-writes.ts";

/**
 * `tessera link site import FILE`: sites from CSV (a header row naming the columns below) or JSON
 * (an array of site objects as POST /v1/link/sites takes them). Each row is checked like an API
 * request and written in one statement, so a bad row writes nothing and the others go on.
 * Idempotent: a row whose values equal its stored site's is `unchanged`; a different one is
 * `skipped` unless `update` (then `updated`, changing only what the row gives, like PATCH); an id
 * of another owner is `refused` (ids are one namespace).
 */
export const csvColumns = siteRecordNames;

export interface ImportRow {
  /** "line 3" (CSV) or "item 2" (JSON). */
  readonly where: string;
  readonly candidate: unknown;
}

export type ImportOutcome = "created" | "updated" | "unchanged" | "skipped" | "invalid" | "refused";
export interface ImportResult {
  readonly where: string;
  readonly id: string;
  readonly outcome: ImportOutcome;
  readonly field?: string;
  readonly message?: string;
}

/** A row as the body of POST /v1/link/sites; an empty cell is an absent value. */
function csvRow(header: readonly string[], fields: readonly string[]): Record<string, unknown> {
  const record: SiteRecord = {};
  for (const [index, column] of header.entries()) {
    const cell = fields[index] ?? "";
    if (cell !== "") record[column as keyof SiteRecord] = cell;
  }
  // A row always has options, so a row lacking org and fid is told which ones (options.fid).
  return { options: {}, ...siteFromRecord(record) };
}

/** The file's rows; a file that is neither (or names an unknown column) is refused as a whole. */
export function readSiteFile(name: string, text: string): ImportRow[] {
  const json =
    name.toLowerCase().endsWith(".json") ||
    (!name.toLowerCase().endsWith(".csv") && text.trimStart().startsWith("["));
  const refuse = (message: string) =>
    new TesseraError(TesseraApiCode.MalformedRequest, { message: `${name}: ${message}` });
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw refuse("is not valid JSON");
    }
    if (!Array.isArray(parsed)) throw refuse("must be a JSON array of sites");
    return parsed.map((candidate, index) => ({ where: `item ${index + 1}`, candidate }));
  }
  const [header, ...rows] = parseCsvLines(text);
  if (header === undefined) return [];
  const unknown = header.fields.find((column) => !(csvColumns as readonly string[]).includes(column));
  if (unknown !== undefined)
    throw refuse(`line ${header.line}: ${unknown} is not a known column (${csvColumns.join(",")})`);
  return rows.map((row) => ({ where: `line ${row.line}`, candidate: csvRow(header.fields, row.fields) }));
}

const idOf = (candidate: unknown) => {
  const id = (candidate as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id.slice(0, 63) : "?";
};

/** Imports one row for `tenantId` (null: a shared site); writes nothing when `dryRun`. */
export async function importSite(
  ctx: ServerContext,
  row: ImportRow,
  tenantId: string | null,
  options: { update: boolean; dryRun: boolean },
): Promise<ImportResult> {
  const base = { where: row.where, id: idOf(row.candidate) };
  const checked = checkSite("new", row.candidate);
  if (!checked.ok) {
    const first = checked.problems[0];
    return {
      ...base,
      outcome: "invalid",
      field: first?.field ?? "",
      message: checked.problems.map((p) => p.message).join(" "),
    };
  }
  const input = checked.value;
  const refusedUrl = siteUrlProblem(input.url, ctx.config.link.siteAllowPrivateNetworks);
  if (refusedUrl !== undefined)
    return { ...base, outcome: "invalid", field: "url", message: `url is refused: ${refusedUrl}.` };
  const existing = await storedSite(ctx.database.db, input.id);
  if (existing !== undefined) {
    if (existing.tenantId !== tenantId)
      return {
        ...base,
        outcome: "refused",
        field: "id",
        message: `the site id ${input.id} is taken by another owner`,
      };
    // Like PATCH: what the row gives replaces (options and field labels merge); what it leaves
    // out stays, so an update never switches a site back on or drops its windows or CA.
    const { id: _id, ...changes } = input;
    if (sameSite(existing, changedSite(existing, changes))) return { ...base, outcome: "unchanged" };
    if (!options.update)
      return { ...base, outcome: "skipped", message: "exists and differs; --update changes it" };
    if (!options.dryRun && (await updateSite(ctx, existing, changes, (field) => field)) === undefined)
      return {
        ...base,
        outcome: "refused",
        field: "id",
        message: `the site ${input.id} was removed meanwhile`,
      };
    return { ...base, outcome: "updated" };
  }
  if (options.dryRun) return { ...base, outcome: "created" };
  try {
    await addSite(ctx, input, tenantId, (field) => field);
    return { ...base, outcome: "created" };
  } catch (error) {
    if (!TesseraError.is(error)) throw error;
    return { ...base, outcome: "refused", field: error.field ?? "id", message: error.message };
  }
}
