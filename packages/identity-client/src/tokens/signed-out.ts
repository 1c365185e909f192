import type { SessionData } from "../session/session-data.ts";

/**
 * The record once nobody is signed in: tokens, tokens for other client ids, the profile and the
 * grace period go; the cached discovery, the registered client ids and the times seen stay (they
 * are not the user's). A new generation, so that every process notices the sign-out (events/).
 */
export function withoutSignIn(data: SessionData): SessionData {
  const { tokens: _tokens, clientTokens: _clientTokens, profile: _profile, grace: _grace, ...kept } = data;
  return { ...kept, generation: data.generation + 1 };
}
