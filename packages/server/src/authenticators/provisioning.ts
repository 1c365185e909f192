import { ApiReturnCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { success } from "../app/envelope.ts";
import { okResponse, time } from "../app/route-schemas.ts";
import { html } from "../pages/html.ts";
import { sendPage, usePages, wantsJson } from "../pages/page-routes.ts";
import { findTenant } from "../tenants/tenant-store.ts";
import { usernameOf } from "../users/user-from-request.ts";
import { qrDataUrl, tokenFromPath } from "./authenticator-routes.ts";
import { LINK_TTL_MS, linkHash, newLinkToken, openLink, redeemLink } from "./provisioning-link.ts";
import { oathTypes } from "./registry.ts";

/**
 * Soft-token provisioning by one-time link. The tenant's back end asks for a link for a token and
 * sends it to the user. Opening the link (GET) only shows a button: mail and chat link scanners
 * fetch every link they see, and must not spend it. Pressing the button (POST) gives the token a
 * fresh secret and shows it once; a second redemption is DeviceAlreadyProvisioned. An app (Accept:
 * application/json) gets the envelope from both: the GET tells it to POST.
 */

/** Under /v1: the tenant asks for a link. */
export const provisioningLinkRoutes: FastifyPluginAsync = async (app) => {
  app.post<{ Params: { serial: string } }>(
    "/authenticators/:serial/provisioning-link",
    {
      schema: {
        params: {
          type: "object",
          properties: { serial: { type: "string", maxLength: 200 } },
          required: ["serial"],
        },
        response: { 200: okResponse({ url: { type: "string" }, expiresAt: time }) },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      const row = await tokenFromPath(request);
      // Redeeming gives the token a fresh OATH seed, sealed over its secret: a security key's
      // public key, a phone's or a push app's would be overwritten (and nothing shown for it).
      if (!oathTypes.some((t) => t.type === row.type))
        throw new TesseraError(ApiReturnCode.OTPTypeInvalid, {
          message: `${row.serial} is a ${row.type} authenticator: provisioning links give OATH tokens (${oathTypes.map((t) => t.type).join(", ")}) a seed`,
          field: "params.serial",
        });
      const token = newLinkToken();
      const expiresAt = ctx.clock.now() + LINK_TTL_MS;
      await ctx.database.db
        .updateTable("authenticators")
        .set({ provision_hash: linkHash(token), provision_expires_at: expiresAt })
        .where("id", "=", row.id)
        .execute();
      return success({ url: new URL(`/provision/${token}`, ctx.publicUrl).toString(), expiresAt });
    },
  );
};

type LinkRequest = FastifyRequest<{ Params: { token: string } }>;
const params = {
  type: "object",
  properties: { token: { type: "string", maxLength: 100 } },
  required: ["token"],
} as const;

/** Outside /v1, without an API key: the user (or the phone app) opens the link. */
export const provisioningRoutes: FastifyPluginAsync = async (app) => {
  usePages(app);

  // An app may POST with `content-type: application/json` and no body: the link is the whole
  // request, so an empty body is no body rather than malformed JSON.
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else json(request, String(body), done);
  });

  app.get(
    "/provision/:token",
    {
      schema: {
        params,
        response: { 200: okResponse({ reveal: { type: "string" }, expiresAt: time }) },
      },
    },
    async (request: LinkRequest, reply) => {
      const ctx = request.server.ctx;
      const row = await spentLinkPage(request, reply, () => openLink(ctx, request.params.token));
      if (row === undefined) return reply;
      // The event goes into the trail of the tenant that owns the token.
      const tenant = await findTenant(ctx.database.db, row.tenant_id);
      if (tenant !== undefined) request.tenant = tenant;
      request.auditSubject = `authenticator:${row.serial}`;
      // An app gets the envelope and what to do next rather than a page it cannot use; the GET
      // still spends nothing.
      if (wantsJson(request))
        return success({ reveal: REVEAL, expiresAt: row.provision_expires_at ?? ctx.clock.now() });
      return sendPage(
        reply,
        200,
        ApiReturnCode.Success,
        "Set up your authenticator app",
        html`<p>Press the button on the phone where your authenticator app is installed. The code is shown once.</p>
<form method="post"><button type="submit">Show my setup code</button></form>`,
      );
    },
  );

  app.post(
    "/provision/:token",
    {
      schema: {
        params,
        response: {
          "2xx": okResponse({
            serial: { type: "string" },
            provisioningUri: { type: "string" },
            secret: { type: "string" },
          }),
        },
      },
    },
    async (request: LinkRequest, reply) => {
      const done = await spentLinkPage(request, reply, () =>
        redeemLink(request.server.ctx, request.params.token, (userId) => usernameOf(request, userId)),
      );
      if (done === undefined) return reply;
      request.tenant = done.tenant;
      request.auditSubject = `authenticator:${done.serial}`;
      const status = done.code === ApiReturnCode.Provisioned ? 201 : 200;
      if (wantsJson(request)) {
        const { serial, provisioningUri, secret } = done;
        return reply.code(status).send(success({ serial, provisioningUri, secret }, done.code));
      }
      const qr = await qrDataUrl(done.provisioningUri);
      return sendPage(
        reply,
        status,
        done.code,
        "Your setup code",
        html`<p>Scan this code with your authenticator app, or open the link on this phone.</p>
<img alt="QR code for your authenticator app" src="${qr}" width="240" height="240">
<p><a href="${done.provisioningUri}">Add to my authenticator app</a></p>
<p>Or type this key: <code id="secret">${done.secret}</code></p>
<p>This page is shown once. Reloading it will not show the code again.</p>`,
      );
    },
  );
};

const REVEAL = "POST this URL to receive the secret; it is shown once";

/**
 * Runs `step`; a link that was already used or replaced shows a person what to do about it (the
 * generic "refresh and try again" never helps here) and resolves undefined. Apps get the envelope
 * from the page error handler as for any other refusal.
 */
async function spentLinkPage<T>(
  request: LinkRequest,
  reply: FastifyReply,
  step: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    if (
      wantsJson(request) ||
      !TesseraError.is(error) ||
      error.code !== ApiReturnCode.DeviceAlreadyProvisioned
    )
      throw error;
    sendPage(
      reply,
      error.httpStatus,
      error.code,
      "This did not work",
      html`<p>This link was already used or replaced. Ask for a new one.</p>`,
    );
    return undefined;
  }
}
