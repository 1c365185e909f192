import { createHash, randomBytes } from "node:crypto";
import { ApiReturnCode, TesseraApiCode, TesseraError } from "@tessera/codes";
import type { FastifyPluginAsync } from "fastify";
import { success } from "../app/envelope.ts";
import { okResponse } from "../app/route-schemas.ts";
import { tokenFromPath } from "./authenticator-routes.ts";
import { sealSecret } from "./authenticator-secret.ts";
import { encodeBase32 } from "./oath/base32.ts";
import { authenticatorType } from "./registry.ts";
import { stateOf } from "./validate-otp.ts";

/**
 * Soft-token provisioning by one-time link. The tenant's back end asks for a link for a token and
 * sends it to the user; the phone app opens it once and receives a fresh secret (the previous one
 * stops working). The link's token is 256 random bits, stored hashed, valid for 15 minutes, and
 * redeemed by compare-and-set: a second opening is DeviceAlreadyProvisioned.
 */
const LINK_TTL_MS = 15 * 60_000;
const linkPattern = /^[A-Za-z0-9_-]{43}$/;
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

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
        response: { 200: okResponse({ url: { type: "string" }, expiresAt: { type: "integer" } }) },
      },
    },
    async (request) => {
      const ctx = request.server.ctx;
      const row = await tokenFromPath(request);
      const token = randomBytes(32).toString("base64url");
      const expiresAt = ctx.clock.now() + LINK_TTL_MS;
      await ctx.database.db
        .updateTable("authenticators")
        .set({ provision_hash: hash(token), provision_expires_at: expiresAt })
        .where("id", "=", row.id)
        .execute();
      return success({ url: new URL(`/provision/${token}`, ctx.publicUrl).toString(), expiresAt });
    },
  );
};

/** Outside /v1, without an API key: the phone app opens the link. */
export const provisioningRoutes: FastifyPluginAsync = async (app) => {
  app.get<{ Params: { token: string } }>(
    "/provision/:token",
    {
      schema: {
        params: {
          type: "object",
          properties: { token: { type: "string", maxLength: 100 } },
          required: ["token"],
        },
        response: {
          "2xx": okResponse({
            serial: { type: "string" },
            provisioningUri: { type: "string" },
            secret: { type: "string" },
          }),
        },
      },
    },
    async (request, reply) => {
      const ctx = request.server.ctx;
      const db = ctx.database.db;
      const now = ctx.clock.now();
      const token = request.params.token;
      if (!linkPattern.test(token))
        throw new TesseraError(TesseraApiCode.NotFound, { message: "no such provisioning link" });
      const row = await db
        .selectFrom("authenticators")
        .selectAll()
        .where("provision_hash", "=", hash(token))
        .executeTakeFirst();
      if (row === undefined) {
        // Redeemed links keep nothing but the fact that the token was provisioned.
        throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
          message: "this provisioning link was already used or replaced",
        });
      }
      if ((row.provision_expires_at ?? 0) <= now)
        throw new TesseraError(TesseraApiCode.NotFound, { message: "this provisioning link has expired" });
      const type = authenticatorType(row.type);
      const secret = randomBytes(20);
      const redeemed = await db
        .updateTable("authenticators")
        .set({
          provision_hash: null,
          provision_expires_at: null,
          provisioned_at: now,
          secret_enc: sealSecret(ctx, row.id, secret),
          position: 0,
          drift: 0,
          failures: 0,
          locked_until: null,
          activated: 1,
          updated_at: now,
        })
        .where("id", "=", row.id)
        .where("provision_hash", "=", hash(token))
        .executeTakeFirst();
      if (Number(redeemed.numUpdatedRows) !== 1)
        throw new TesseraError(ApiReturnCode.DeviceAlreadyProvisioned, {
          message: "this provisioning link was just used",
        });
      const tenant = await db
        .selectFrom("tenants")
        .select("name")
        .where("id", "=", row.tenant_id)
        .executeTakeFirstOrThrow();
      const provisioningUri = type.provisioningUri(
        secret,
        { algorithm: stateOf(row).algorithm, digits: row.digits, period: row.period },
        { ...stateOf(row), position: 0 },
        tenant.name,
        row.serial,
      );
      const first = row.provisioned_at === null;
      return reply
        .code(first ? 201 : 200)
        .send(
          success(
            { serial: row.serial, provisioningUri, secret: encodeBase32(secret) },
            first ? ApiReturnCode.Provisioned : ApiReturnCode.Reprovisioned,
          ),
        );
    },
  );
};
