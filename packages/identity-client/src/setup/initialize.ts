import { IdentityStatusCode } from "@tessera/codes";
import * as oidc from "openid-client";
import type { ClientContext } from "../client-context.ts";
import { classifyFailure } from "../results/classify-failure.ts";
import { fail, type IdentityResult, ok } from "../results/identity-result.ts";
import { openSessionStore } from "../store/file-session-store.ts";
import {
  DEFAULT_SCOPES,
  DEFAULT_TIMEOUT_MS,
  type InitOptions,
  type ResolvedOptions,
} from "./init-options.ts";

/**
 * PROVISIONAL (foundation): validates the options, opens the store (interactive mode) and runs
 * discovery. The setup part of the identity-client issue completes it (the client-id check,
 * cached discovery when offline, batch credentials, every option's bounds).
 */
export async function initialize(
  options: InitOptions,
  now: () => number,
): Promise<IdentityResult<ClientContext>> {
  const resolved = resolve(options);
  if (typeof resolved === "string") return fail(IdentityStatusCode.Failed, resolved);
  let store: ClientContext["store"];
  if (resolved.mode === "interactive") {
    const opened = await openSessionStore({
      ...(resolved.storeDir === undefined ? {} : { storeDir: resolved.storeDir }),
      issuer: resolved.issuerUrl.href,
      clientId: resolved.clientId,
      lockTimeoutMs: resolved.timeoutMs,
    });
    if (!opened.ok) return fail(opened.status, opened.message);
    store = opened.value;
  }
  let server: oidc.Configuration;
  try {
    server = await oidc.discovery(resolved.issuerUrl, resolved.clientId, resolved.clientSecret, undefined, {
      timeout: Math.ceil(resolved.timeoutMs / 1000),
      ...(isLoopback(resolved.issuerUrl) ? { execute: [oidc.allowInsecureRequests] } : {}),
    });
  } catch (error) {
    const { message } = classifyFailure(error);
    return fail(
      IdentityStatusCode.AuthenticationInterfaceCouldNotBeInitialized,
      `discovery failed: ${message}`,
    );
  }
  return ok<ClientContext>({ options: resolved, store, server, registered: new Set(), now });
}

const clientIdPattern = /^[A-Za-z0-9._~-]{1,128}$/;

function resolve(options: InitOptions): ResolvedOptions | string {
  if (typeof options !== "object" || options === null) return "options must be an object";
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(options.issuer);
  } catch {
    return "issuer is not a URL";
  }
  if (issuerUrl.protocol !== "https:" && !(issuerUrl.protocol === "http:" && isLoopback(issuerUrl)))
    return "issuer must be https (http only on loopback)";
  if (typeof options.clientId !== "string" || !clientIdPattern.test(options.clientId))
    return "clientId is malformed";
  if (options.mode !== "interactive" && options.mode !== "batch") return "mode must be interactive or batch";
  return {
    ...options,
    issuerUrl,
    locale: options.locale ?? "en",
    scopes: options.scopes ?? DEFAULT_SCOPES,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

export const isLoopback = (url: URL) =>
  url.hostname === "127.0.0.1" || url.hostname === "[::1]" || url.hostname === "localhost";
