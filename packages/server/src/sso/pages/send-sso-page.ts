import type { FastifyReply } from "fastify";
import { sendDocument } from "../../pages/page-routes.ts";
import { ssoPageHeaders } from "./sso-headers.ts";
import { type SsoPage, ssoDocument } from "./sso-layout.ts";

/**
 * Sends an SSO page from a Fastify route (the sign-in steps): the SSO layout, the strict headers,
 * and `code` for the audit trail. `formTargets` are the redirect URIs the page's form may end at
 * (the app's redirect_uri on the last step); see sso-headers.ts.
 */
export function sendSsoPage(
  reply: FastifyReply,
  status: number,
  code: number,
  page: SsoPage,
  formTargets: readonly string[] = [],
) {
  return sendDocument(reply, status, code, ssoDocument(page), ssoPageHeaders(formTargets));
}
