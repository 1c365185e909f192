import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { Kysely } from "kysely";
import type { Schema } from "../../packages/server/src/storage/schema.ts";

/**
 * The bare baseline: the same session check with plain node:http and the same single indexed
 * query, without a framework, authentication, validation, envelope or audit. The gap between it
 * and Tessera is what Tessera's own machinery costs per request.
 */
export async function startBareBaseline(db: Kysely<Schema>): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const token = (req.url ?? "").split("/").at(-1) ?? "";
    const hash = createHash("sha256").update(token).digest("hex");
    const row = await db
      .selectFrom("sessions")
      .select(["user_id", "expires_at"])
      .where("token_hash", "=", hash)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    res.writeHead(row === undefined ? 401 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify({ valid: row !== undefined }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, server };
}
