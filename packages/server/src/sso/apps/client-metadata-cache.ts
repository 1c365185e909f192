import type { ClientMetadata } from "oidc-provider";
import type { ServerContext } from "../../app/server-context.ts";
import { type AppRow, clientMetadataOf } from "./app-store.ts";

/**
 * The client metadata of an app row, built once per version of the row: every token request looks
 * its client up, and opening the sealed secret (AES-GCM) and parsing the row's JSON lists each
 * time cost more than reading the row.
 *
 * The row itself is still read on every lookup and the cached entry is used only while EVERY
 * column is what it was (client id, tenant, updated_at, sealed secret and the rest), so a deleted,
 * changed or rotated app takes effect on the next request, in this process and in any other.
 * updated_at alone would not do: two writes within one millisecond (or under a stopped clock)
 * share it. A rotated secret is sealed with a fresh nonce, so its secret_enc always differs.
 *
 * The opened secret stays in memory while cached; oidc-provider keeps the same metadata in its own
 * client cache (keyed by a hash of it), so this keeps nothing the process did not hold already.
 */
const MAX_ENTRIES = 1000;

type Entry = { row: AppRow; metadata: ClientMetadata };
const caches = new WeakMap<ServerContext, Map<string, Entry>>();

export function cachedClientMetadata(ctx: ServerContext, row: AppRow): ClientMetadata {
  let cache = caches.get(ctx);
  if (cache === undefined) {
    cache = new Map();
    caches.set(ctx, cache);
  }
  const entry = cache.get(row.client_id);
  if (entry !== undefined && sameRow(entry.row, row)) return entry.metadata;
  const metadata = clientMetadataOf(ctx, row);
  cache.delete(row.client_id);
  // Oldest first: past the bound, the least recently built entry goes.
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(row.client_id, { row: { ...row }, metadata });
  return metadata;
}

function sameRow(a: AppRow, b: AppRow): boolean {
  const keys = Object.keys(b) as (keyof AppRow)[];
  if (keys.length !== Object.keys(a).length) return false;
  return keys.every((key) => a[key] === b[key]);
}
