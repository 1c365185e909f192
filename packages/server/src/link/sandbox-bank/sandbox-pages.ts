import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { SecondFactorField } from "../connectors/connector.ts";
import { accountsFor, transactionsFor } from "./sandbox-data.ts";
import { answerIsRight, judgeLogin } from "./sandbox-login.ts";
import { sessionCookie } from "./sandbox-session.ts";
import { firstTry, type SandboxSite, sessionOf, stall } from "./sandbox-site.ts";
import { testLogins } from "./test-logins.ts";

/** The Sandbox Bank's web pages, for people rehearsing a login by hand (personal site only). */
const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function page(reply: FastifyReply, title: string, body: string, status = 200) {
  return reply
    .code(status)
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Sandbox Bank</title></head>` +
        `<body><header><h1>Sandbox Bank</h1></header><main><h2>${escapeHtml(title)}</h2>${body}</main></body></html>`,
    );
}

function fieldInput(field: SecondFactorField): string {
  const label = `<label for="${field.name}">${escapeHtml(field.label)}</label>`;
  if (field.type === "choice")
    return `${label}<select id="${field.name}" name="${field.name}">${(field.options ?? [])
      .map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.label)}</option>`)
      .join("")}</select>`;
  const picture = field.image === undefined ? "" : `<img alt="captcha" src="${field.image}">`;
  const challenge =
    field.challenge === undefined ? "" : `<p class="challenge">${escapeHtml(field.challenge)}</p>`;
  return `${challenge}${picture}${label}<input id="${field.name}" name="${field.name}" autocomplete="one-time-code">`;
}

const loginForm = `<form method="post" action="/login"><label for="username">Username</label><input id="username" name="username">
<label for="password">Password</label><input id="password" name="password" type="password"><button type="submit">Sign in</button></form>
<details><summary>Test logins (password: sandbox)</summary><ul>${testLogins
  .map((l) => `<li><code>${l.username}</code>: ${escapeHtml(l.outcome)}</li>`)
  .join("")}</ul></details>`;

export const sandboxPages: FastifyPluginAsync<{ site: SandboxSite }> = async (app, { site }) => {
  app.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string" },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  app.get("/", async (_request, reply) => page(reply, "Sign in", loginForm));

  app.post<{ Body: Record<string, string> }>("/login", async (request, reply) => {
    const username = request.body?.username ?? "";
    const verdict = judgeLogin(
      "personal",
      username,
      request.body?.password ?? "",
      firstTry(site, "personal", username),
    );
    const now = site.clock.now();
    if (verdict.kind === "refused")
      return page(
        reply,
        "Sign-in failed",
        `<p role="alert">${escapeHtml(verdict.message)}</p>${loginForm}`,
        verdict.httpStatus,
      );
    if (verdict.kind === "unavailable")
      return page(reply, "Unavailable", "<p>Online banking is unavailable right now.</p>", 503);
    if (verdict.kind === "stall") return stall(site, reply).then(() => reply);
    if (verdict.kind === "garbage" || verdict.kind === "unknown-step")
      return page(reply, "Security questions", "<p>Please answer our new security questions.</p>");
    if (verdict.kind === "twofa") {
      reply.header(
        "set-cookie",
        sessionCookie({ username, scenario: verdict.scenario, stage: "twofa" }, now),
      );
      return page(
        reply,
        "Security check",
        `<form method="post" action="/twofa">${verdict.fields.map(fieldInput).join("")}<button type="submit">Continue</button></form>`,
      );
    }
    reply.header("set-cookie", sessionCookie({ username, scenario: verdict.scenario, stage: "in" }, now));
    return reply.redirect("/accounts", 303);
  });

  app.post<{ Body: Record<string, string> }>("/twofa", async (request, reply) => {
    const session = sessionOf(site, request);
    if (session?.stage !== "twofa") return reply.redirect("/", 303);
    if (!answerIsRight(session.scenario, request.body ?? {}))
      return page(
        reply,
        "Security check failed",
        '<p role="alert">The security code is wrong.</p><a href="/">Sign in again</a>',
        403,
      );
    reply.header("set-cookie", sessionCookie({ ...session, stage: "in" }, site.clock.now()));
    return reply.redirect("/accounts", 303);
  });

  app.get("/accounts", async (request, reply) => {
    const session = sessionOf(site, request);
    if (session?.stage !== "in") return reply.redirect("/", 303);
    const rows = accountsFor(session.scenario)
      .map(
        (a) =>
          `<tr><td><a href="/accounts/${a.externalId}">${escapeHtml(a.name)}</a></td><td>${a.numberMask}</td><td>${a.balance} ${a.currency}</td></tr>`,
      )
      .join("");
    return page(
      reply,
      "Your accounts",
      rows === "" ? "<p>You have no accounts.</p>" : `<table>${rows}</table>`,
    );
  });

  app.get<{ Params: { id: string } }>("/accounts/:id", async (request, reply) => {
    const session = sessionOf(site, request);
    if (session?.stage !== "in") return reply.redirect("/", 303);
    const rows = transactionsFor(session.scenario, request.params.id, site.clock.now())
      .map((t) => `<tr><td>${t.postedOn}</td><td>${escapeHtml(t.description)}</td><td>${t.amount}</td></tr>`)
      .join("");
    return page(reply, "Transactions", `<table>${rows}</table><a href="/accounts">Back</a>`);
  });
};
