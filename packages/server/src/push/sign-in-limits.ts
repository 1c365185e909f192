import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { Transaction } from "kysely";
import type { Schema } from "../storage/schema.ts";
import type { Tenant } from "../tenants/tenant-store.ts";
import { findFraudLock } from "./sign-in-fraud-lock.ts";

const HOUR_MS = 3_600_000;

/**
 * Push-fatigue limits (ASVS 5 6.6.4), checked inside the transaction that then inserts the request,
 * after the user's row is locked (sign-in-push.ts): so a burst from any number of processes cannot
 * count the same free place twice. In order: a standing fraud report (until an administrator
 * clears it), the cool-down after a rejection, the pending cap, the hourly cap. Each refusal is
 * CreateTransactionFailed; the time-bound ones carry when to retry (Retry-After).
 */
export async function requirePushAllowed(
  trx: Transaction<Schema>,
  tenant: Tenant,
  user: { readonly id: string; readonly username: string },
  now: number,
): Promise<void> {
  const lock = await findFraudLock(trx, user.id);
  if (lock !== undefined)
    throw refused(
      `sign-in pushes to ${user.username} are locked: request ${lock.reference} was reported as fraud; an administrator clears the lock (DELETE /v1/users/${user.username}/push-lock)`,
    );

  const signIns = trx
    .selectFrom("approval_requests")
    .where("user_id", "=", user.id)
    .where("kind", "=", "sign-in");

  const rejected = await signIns
    .select((eb) => eb.fn.max("answered_at").as("last"))
    .where("status", "=", "rejected")
    .executeTakeFirst();
  const coolUntil = Number(rejected?.last ?? 0) + tenant.pushCooldownSeconds * 1000;
  if (rejected?.last != null && coolUntil > now)
    throw refused(
      `a sign-in push to ${user.username} was rejected; no new one during the cool-down (pushCooldownSeconds)`,
      coolUntil,
    );

  const pending = await signIns
    .select("expires_at")
    .where("status", "=", "pending")
    .where("expires_at", ">", now)
    .orderBy("expires_at")
    .execute();
  if (pending.length >= tenant.pushMaxPending)
    throw refused(
      `${user.username} already has ${pending.length} sign-in push(es) waiting for an answer (pushMaxPending ${tenant.pushMaxPending})`,
      Number(pending[pending.length - tenant.pushMaxPending]?.expires_at ?? now + 1000),
    );

  const lastHour = await signIns
    .select("created_at")
    .where("created_at", ">", now - HOUR_MS)
    .orderBy("created_at")
    .execute();
  if (lastHour.length >= tenant.pushMaxPerHour)
    // The place frees when enough of the hour's requests fall out of the window.
    throw refused(
      `${user.username} was sent ${lastHour.length} sign-in pushes in the last hour (pushMaxPerHour ${tenant.pushMaxPerHour})`,
      Number(lastHour[lastHour.length - tenant.pushMaxPerHour]?.created_at ?? now) + HOUR_MS,
    );
}

function refused(message: string, retryAt?: number): TesseraError {
  return new TesseraError(ApiReturnCode.CreateTransactionFailed, {
    message,
    ...(retryAt === undefined ? {} : { retryAt }),
  });
}
