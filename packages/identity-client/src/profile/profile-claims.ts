import type { UserProfile } from "../session/session-data.ts";

/**
 * A UserProfile from OpenID Connect claims (userinfo, else the ID token): the subject, the tenant
 * (the last path segment of the issuer, `/oidc/<tenant id>`), the e-mail address and a display
 * name (`name`, else `preferred_username`). Undefined without a subject.
 */
export function profileFromClaims(
  claims: Readonly<Record<string, unknown>>,
  issuer: string,
): UserProfile | undefined {
  const { sub, email, name, preferred_username: username } = claims;
  if (typeof sub !== "string" || sub === "") return undefined;
  const tenant = new URL(issuer).pathname.split("/").filter(Boolean).at(-1);
  const displayName = typeof name === "string" ? name : typeof username === "string" ? username : undefined;
  return {
    subject: sub,
    ...(tenant === undefined ? {} : { tenant }),
    ...(typeof email === "string" ? { email } : {}),
    ...(displayName === undefined ? {} : { displayName }),
    claims: { ...claims },
  };
}
