import { catalogs } from "./catalog.ts";
import type { CatalogId, CodeInfo } from "./code-info.ts";

type Index = { byValue: Map<number, CodeInfo>; byName: Map<string, CodeInfo> };

function buildIndex(entries: readonly CodeInfo[]): Index {
  const byValue = new Map<number, CodeInfo>();
  const byName = new Map<string, CodeInfo>();
  for (const info of entries) {
    byValue.set(info.value, info);
    // The first entry wins a shared published name: "Pending" resolves to 201, and 205 is
    // reached by its identifier "PendingRetry".
    for (const name of [info.key, info.name, info.alias]) {
      if (name !== undefined && !byName.has(name)) byName.set(name, info);
    }
  }
  return { byValue, byName };
}

const indexes: { readonly [C in CatalogId]: Index } = {
  api: buildIndex(catalogs.api),
  identity: buildIndex(catalogs.identity),
  credential: buildIndex(catalogs.credential),
};

/** Catalogs whose value ranges do not overlap, searched in this order (0 is Success in two). */
const inferenceOrder: readonly CatalogId[] = ["api", "credential", "identity"];

export function byValue(catalog: CatalogId, value: number): CodeInfo | undefined {
  return indexes[catalog].byValue.get(value);
}

/** Looks up a published name, an identifier or an alias. */
export function byName(catalog: CatalogId, name: string): CodeInfo | undefined {
  return indexes[catalog].byName.get(name);
}

/**
 * Everything known about a code. Without a catalog, the value ranges decide (API 0 and 9000+,
 * credential statuses 100–509, identity statuses -1–28); 0 is the API's Success.
 */
export function describe(code: number, catalog?: CatalogId): CodeInfo | undefined {
  if (catalog !== undefined) return byValue(catalog, code);
  for (const id of inferenceOrder) {
    const info = byValue(id, code);
    if (info !== undefined) return info;
  }
  return undefined;
}

const unknownCodeMessage = "Something went wrong. Please try again later.";

/** A message safe to show an end user; unknown codes get a generic one rather than nothing. */
export function publicMessage(code: number, catalog?: CatalogId): string {
  return describe(code, catalog)?.publicMessage ?? unknownCodeMessage;
}

const identitySuccesses: ReadonlySet<number> = new Set([0, 1, 3]);

/**
 * Whether the operation achieved what was asked: API codes with a 2xx status (including informational
 * ones such as a policy rule that was only logged), identity Success, Offline (cached session
 * within its grace period) and NoAuthentication, and credential statuses of the success category.
 */
export function isSuccess(code: number, catalog?: CatalogId): boolean {
  const info = describe(code, catalog);
  if (info === undefined) return false;
  switch (info.catalog) {
    case "api":
      return info.httpStatus !== null && info.httpStatus >= 200 && info.httpStatus < 300;
    case "identity":
      return identitySuccesses.has(info.value);
    case "credential":
      return info.category === "success";
  }
}
