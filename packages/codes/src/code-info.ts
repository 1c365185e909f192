/**
 * The metadata every status code carries, whatever its catalog.
 *
 * `name` is the published name, spelling kept as published (it is the wire contract); `key` is the
 * identifier Tessera uses in code and equals `name` except where the published catalog repeats a
 * name (credential status 205). `alias` is a correctly spelled synonym where the published name is
 * misspelt.
 */
export type CatalogId = "api" | "identity" | "credential";

/**
 * Whether a code can be observed today, and the coverage gate's rule for it: a `reachable` code
 * must be observed by an end-to-end test of a full `npm test` run; a `planned` code belongs to a
 * feature not built yet (named) and must not be observed until it is flipped to reachable; an
 * `unreachable` code cannot occur in Tessera's design (the reason says why) and must never be seen.
 */
export type Reachability =
  | { readonly kind: "reachable" }
  | { readonly kind: "planned"; readonly feature: string }
  | { readonly kind: "unreachable"; readonly why: string };

/** When a caller may try the same operation again. */
export type RetryGuidance = "never" | "after-delay" | "after-user-action";

export interface CodeInfo {
  readonly catalog: CatalogId;
  readonly value: number;
  readonly key: string;
  readonly name: string;
  readonly alias?: string;
  /** True for codes of the published catalogs; false for Tessera's own extension range. */
  readonly published: boolean;
  readonly description: string;
  readonly category: string;
  /**
   * HTTP status of a response carrying this code. `null` where the code never travels as the
   * result of an HTTP request: identity statuses are returned by a local library call, and
   * credential statuses are entries of a job's timeline (the request that reads it succeeds).
   */
  readonly httpStatus: number | null;
  /** Detail an attacker could use (which factor failed, whether an account exists, lock state). */
  readonly securitySensitive: boolean;
  /** What an end-user surface may show; never reveals security-sensitive detail. */
  readonly publicMessage: string;
  readonly retry: RetryGuidance;
  /** Credential statuses only: the job ends with this status. */
  readonly terminal?: boolean;
  /** Declared in catalogs/reachability.ts; reachable unless listed there. */
  readonly reachability: Reachability;
}
