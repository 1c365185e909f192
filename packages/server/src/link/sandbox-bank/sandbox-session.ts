import { createHmac, timingSafeEqual } from "node:crypto";
import type { Scenario } from "./test-logins.ts";

/**
 * The Sandbox Bank's session cookie: signed and self-contained, so every instance of the site (one
 * per Tessera process) accepts a session another instance opened. The key is public on purpose:
 * this is a rehearsal site whose data is invented.
 */
const KEY = "sandbox-bank-session-key; not a secret: the sandbox holds no real data";
export const COOKIE = "sb_session";
const TTL_MS = 30 * 60_000;

export interface SandboxSession {
  readonly username: string;
  readonly scenario: Scenario;
  /** twofa: logged in, second factor still due; in: fully signed in. */
  readonly stage: "twofa" | "in";
  readonly expiresAt: number;
}

function sign(payload: string): string {
  return createHmac("sha256", KEY).update(payload).digest("base64url");
}

export function sessionCookie(session: Omit<SandboxSession, "expiresAt">, now: number): string {
  const payload = Buffer.from(JSON.stringify({ ...session, expiresAt: now + TTL_MS })).toString("base64url");
  return `${COOKIE}=${payload}.${sign(payload)}; Path=/; HttpOnly; SameSite=Lax`;
}

export function readSession(cookieHeader: string | undefined, now: number): SandboxSession | undefined {
  const raw = cookieHeader
    ?.split(";")
    .map((part) => part.trim())
    .find((part) => part.startsWith(`${COOKIE}=`))
    ?.slice(COOKIE.length + 1);
  const [payload, mac] = raw?.split(".") ?? [];
  if (payload === undefined || mac === undefined) return undefined;
  const expected = Buffer.from(sign(payload));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const session = JSON.parse(Buffer.from(payload, "base64url").toString()) as SandboxSession;
    return session.expiresAt > now ? session : undefined;
  } catch {
    return undefined;
  }
}
