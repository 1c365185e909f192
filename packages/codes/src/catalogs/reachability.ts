import type { CatalogId, Reachability } from "../code-info.ts";
import type { publishedApiReturnCodes, tesseraApiCodes } from "./api-return-codes.ts";
import type { CredentialStatus } from "./credential-statuses.ts";
import type { IdentityStatusCode } from "./identity-status-codes.ts";

/**
 * Which codes the coverage gate may not yet demand (PRODUCT.md §1). A code not listed here is
 * reachable: a full `npm test` run must observe it end to end. A `planned` code names the feature
 * that will produce it; that feature's change flips it to reachable by deleting its line here (the
 * gate fails while a planned code is observed, so the table cannot fall behind). `unreachable` is
 * for codes Tessera's design cannot produce, with the reason; there should be very few.
 */
const planned = (feature: string): Reachability => ({ kind: "planned", feature });
const unreachable = (why: string): Reachability => ({ kind: "unreachable", why });

/** The features not built yet, named after the open issues that build them. */
const adminFactor = planned("web console: administrator sign-in with a second factor");
const directorySync = planned("directory sync: importing and updating users from LDAP");
const logShipping = planned("log shipping: audit events to an external collector");
const keyProvider = planned("system: master keys held by an external key provider");
const tracing = planned("system: per-tenant diagnostic tracing into the audit trail");

type Table<K extends string> = { readonly [key in K]?: Reachability };

const api: Table<keyof typeof publishedApiReturnCodes | keyof typeof tesseraApiCodes> = {
  NoAdminDeviceDefined: adminFactor,
  SystemKeyProviderEnpointNotSet: keyProvider,
  SyncUserFailed: directorySync,
  SyncEventLogFailed: logShipping,
  SyncEventLogNothingToSync: logShipping,
  SystemTrace: tracing,
  InternalError: unreachable(
    "Only a defect produces it: every expected failure has its own code. The error handler maps any unexpected exception to it (and property-based tests assert it never happens).",
  ),
};

const identity: Table<keyof typeof IdentityStatusCode> = {};

const credential: Table<keyof typeof CredentialStatus> = {};

const tables: { readonly [C in CatalogId]: Readonly<Record<string, Reachability | undefined>> } = {
  api,
  identity,
  credential,
};

const reachable: Reachability = { kind: "reachable" };

/** The declared reachability of the code with this key (identifier) in this catalog. */
export function reachabilityOf(catalog: CatalogId, key: string): Reachability {
  return tables[catalog][key] ?? reachable;
}

/** Every key the table names, for the test that keeps it free of stale entries. */
export function declaredKeys(catalog: CatalogId): string[] {
  return Object.keys(tables[catalog]);
}
