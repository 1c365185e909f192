import Fastify, { type FastifyInstance } from "fastify";
import type { Clock } from "../../clock/clock.ts";
import { sandboxApi } from "./sandbox-api.ts";
import { sandboxOfx } from "./sandbox-ofx.ts";
import { sandboxPages } from "./sandbox-pages.ts";
import type { SandboxSite } from "./sandbox-site.ts";

/**
 * The Sandbox Bank: a real HTTP site (pages, a JSON API, an OFX server) whose test logins produce
 * every credential status. `tessera start` serves it on a loopback port in the embedded setup.
 */
export interface SandboxBank {
  readonly url: string;
  close(): Promise<void>;
}

export async function buildSandboxBank(clock: Clock): Promise<{ app: FastifyInstance; site: SandboxSite }> {
  const site: SandboxSite = { clock, seen: new Set(), stalled: new Set() };
  const app = Fastify({ logger: false, forceCloseConnections: true });
  await app.register(sandboxPages, { site });
  await app.register(sandboxApi, { site, variant: "personal", prefix: "/api" });
  await app.register(sandboxApi, { site, variant: "business", prefix: "/business/api" });
  await app.register(sandboxOfx, { site });
  return { app, site };
}

export async function startSandboxBank(clock: Clock, port = 0): Promise<SandboxBank> {
  const { app, site } = await buildSandboxBank(clock);
  await app.listen({ host: "127.0.0.1", port });
  const address = app.server.address();
  const bound = typeof address === "object" && address !== null ? address.port : port;
  return {
    url: `http://127.0.0.1:${bound}`,
    async close() {
      for (const reply of site.stalled) reply.raw.destroy();
      await app.close();
    },
  };
}
