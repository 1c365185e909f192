import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { accountsFor, transactionsFor } from "./sandbox-data.ts";
import { answerIsRight, judgeLogin, type LoginVerdict, type SiteVariant } from "./sandbox-login.ts";
import { sessionCookie } from "./sandbox-session.ts";
import { firstTry, type SandboxSite, sessionOf, stall } from "./sandbox-site.ts";

/**
 * The Sandbox Bank's JSON API, which the sandbox-bank connector drives. Mounted at /api/ for the
 * personal site and /business/api/ for the business site.
 */
export interface SandboxApiOptions {
  readonly site: SandboxSite;
  readonly variant: SiteVariant;
}

async function answerLogin(site: SandboxSite, reply: FastifyReply, verdict: LoginVerdict, username: string) {
  const now = site.clock.now();
  switch (verdict.kind) {
    case "refused":
      return reply.code(verdict.httpStatus).send({ error: verdict.error, message: verdict.message });
    case "unavailable":
      if (verdict.retryAfterSeconds !== undefined)
        reply.header("retry-after", String(verdict.retryAfterSeconds));
      return reply
        .code(503)
        .send({ error: verdict.retryAfterSeconds === undefined ? "unavailable" : "maintenance" });
    case "stall":
      await stall(site, reply);
      return reply;
    case "garbage":
      return reply
        .code(200)
        .type("text/html")
        .send("<html><body>Oops: <b>NullReferenceException</b></body></html>");
    case "unknown-step":
      return reply.send({ next: "security-questions-v2" });
    case "twofa":
      reply.header(
        "set-cookie",
        sessionCookie({ username, scenario: verdict.scenario, stage: "twofa" }, now),
      );
      return reply.send({ next: "twofa", twofa: verdict.fields });
    case "in":
      reply.header("set-cookie", sessionCookie({ username, scenario: verdict.scenario, stage: "in" }, now));
      return reply.send({ next: "accounts" });
  }
}

const expired = { error: "session_expired", message: "Please sign in again." };

export const sandboxApi: FastifyPluginAsync<SandboxApiOptions> = async (app, { site, variant }) => {
  app.post<{ Body: { username?: unknown; password?: unknown } }>("/login", async (request, reply) => {
    const username = String(request.body?.username ?? "");
    const verdict = judgeLogin(
      variant,
      username,
      String(request.body?.password ?? ""),
      firstTry(site, variant, username),
    );
    return answerLogin(site, reply, verdict, username);
  });

  app.post<{ Body: { answers?: Record<string, unknown> } }>("/twofa", async (request, reply) => {
    const session = sessionOf(site, request);
    if (session?.stage !== "twofa") return reply.code(401).send(expired);
    if (!answerIsRight(session.scenario, request.body?.answers ?? {}))
      return reply.code(403).send({ error: "invalid_token", message: "The security code is wrong." });
    reply.header(
      "set-cookie",
      sessionCookie(
        { username: session.username, scenario: session.scenario, stage: "in" },
        site.clock.now(),
      ),
    );
    return { next: "accounts" };
  });

  app.get("/accounts", async (request, reply) => {
    const session = sessionOf(site, request);
    if (session?.stage !== "in") return reply.code(401).send(expired);
    return { accounts: accountsFor(session.scenario) };
  });

  app.get<{ Params: { id: string }; Querystring: { from?: string; history?: string } }>(
    "/accounts/:id/transactions",
    async (request, reply) => {
      const session = sessionOf(site, request);
      if (session?.stage !== "in") return reply.code(401).send(expired);
      const account = accountsFor(session.scenario).find((a) => a.externalId === request.params.id);
      if (account === undefined) return reply.code(404).send({ error: "no_such_account" });
      if (session.scenario === "incomplete" && account.kind === "credit-card")
        return reply
          .code(500)
          .send({ error: "account_unavailable", message: "Card data is temporarily unavailable." });
      const now = site.clock.now();
      const from = request.query.from ?? "0000-00-00";
      const all = transactionsFor(session.scenario, account.externalId, now).filter(
        (t) => t.postedOn >= from,
      );
      const since = (days: number) => new Date(now - days * 86_400_000).toISOString().slice(0, 10);
      if (session.scenario === "partial")
        return {
          transactions: all.filter((t) => t.postedOn >= since(30)),
          coverage: "partial",
          history: "ready",
        };
      if (session.scenario === "pending" && request.query.history !== "full")
        return {
          transactions: all.filter((t) => t.postedOn >= since(7)),
          coverage: "complete",
          history: "loading",
        };
      return { transactions: all, coverage: "complete", history: "ready" };
    },
  );
};
