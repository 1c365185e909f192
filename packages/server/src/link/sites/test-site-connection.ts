import { randomUUID } from "node:crypto";
import type { LookupAddress } from "node:dns";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { rootCertificates, connect as tlsConnect } from "node:tls";
import { CredentialStatus, describe } from "@tessera/codes";
import type { TesseraConfig } from "../../config/tessera-config.ts";
import { isPublicAddress } from "../../net/address-ranges.ts";
import { type ConnectorContext, ConnectorFailure } from "../connectors/connector.ts";
import { exchangeText, ofxConnector, signonInput } from "../connectors/ofx-connector.ts";
import { siteIoOf } from "../connectors/site-http.ts";
import { ofxOptions } from "../ofx/ofx-options.ts";
import { ANONYMOUS_USER, accountInfoRequest, profileRequest } from "../ofx/ofx-requests.ts";
import { parseOfx } from "../ofx/parse-ofx.ts";
import { readAccountInfo, readProfile, readSignon } from "../ofx/read-ofx.ts";
import { credentialStatusForOfx } from "../ofx/signon-status.ts";
import type { Site } from "./site.ts";

/**
 * The connection test (`tessera link site test`): does the site answer, step by step, the way a
 * sync will talk to it? Without fields an anonymous profile request (OFX's convention, no login
 * involved); with fields a real signon with the account list. Each step says what it found;
 * the first failure ends the test. The password is sent to the site only: it is never logged,
 * and if the site echoes it in a message, the report shows *** instead.
 */
export interface ConnectionStep {
  readonly step: "options" | "address" | "tls" | "http" | "ofx" | "profile" | "signon";
  readonly ok: boolean;
  readonly detail: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface ConnectionReport {
  readonly siteId: string;
  readonly ok: boolean;
  readonly steps: readonly ConnectionStep[];
}

/** What the test needs of the server context (a ServerContext is one). */
export interface ConnectionTestDeps {
  readonly config: {
    readonly link: Pick<
      TesseraConfig["link"],
      "siteAllowPrivateNetworks" | "connectorTimeoutMs" | "maxResponseBytes" | "maxRedirects"
    >;
  };
  readonly link: { siteUrl(site: Site): string | undefined };
}

/** Name lookups of the connection test; only tests replace it. */
export const siteTestDns = {
  resolve: (host: string): Promise<readonly LookupAddress[]> => lookup(host, { all: true }),
};

type Outcome = { ok: boolean; detail: string; data?: Record<string, unknown> };

async function checkAddress(
  deps: ConnectionTestDeps,
  site: Site,
  url: URL,
): Promise<Outcome & { address?: string | undefined }> {
  // The built-in Sandbox Bank is this server's own; every other site is held to the policy.
  const allowPrivate = site.sandbox || deps.config.link.siteAllowPrivateNetworks;
  if (url.protocol !== "https:" && !(url.protocol === "http:" && allowPrivate))
    return {
      ok: false,
      detail: `${url.protocol} is not allowed: sites are reached over https (http needs link.siteAllowPrivateNetworks)`,
    };
  const host = url.hostname.replace(/^\[|\]$/g, "");
  let addresses: readonly string[];
  try {
    addresses = isIP(host) !== 0 ? [host] : (await siteTestDns.resolve(host)).map((a) => a.address);
  } catch {
    addresses = [];
  }
  if (addresses.length === 0) return { ok: false, detail: `the host ${host} does not resolve` };
  const blocked = addresses.find((a) => !allowPrivate && !isPublicAddress(a));
  if (blocked !== undefined)
    return {
      ok: false,
      detail: `${isIP(host) !== 0 ? `the address ${blocked} is not public` : `the host ${host} resolves to a non-public address (${blocked})`}; link.siteAllowPrivateNetworks is off`,
      data: { addresses },
    };
  return {
    ok: true,
    detail: `${host} resolves to ${addresses.join(", ")}`,
    data: { addresses },
    address: addresses[0],
  };
}

function handshake(url: URL, address: string, ca: string | undefined, timeoutMs: number): Promise<Outcome> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: address,
      port: Number(url.port || 443),
      ...(isIP(host) === 0 ? { servername: host } : {}),
      // The site's own CA is trusted besides the public ones, for this site only.
      ...(ca === undefined ? {} : { ca: [...rootCertificates, ca] }),
    });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error("the TLS handshake timed out")));
    socket.once("secureConnect", () => {
      const certificate = socket.getPeerCertificate();
      const data = {
        protocol: socket.getProtocol(),
        subject: certificate.subject?.CN,
        issuer: certificate.issuer?.CN,
        validTo: certificate.valid_to,
      };
      socket.end();
      resolve({
        ok: true,
        detail: `${data.protocol}, certificate for ${data.subject} by ${data.issuer}`,
        data,
      });
    });
    socket.once("error", (error: Error & { code?: string }) =>
      resolve({ ok: false, detail: `TLS failed: ${error.code ?? error.message}` }),
    );
  });
}

function profileOutcome(root: ReturnType<typeof parseOfx>["root"]): Outcome {
  const signon = readSignon(root);
  const profile = readProfile(root);
  const data = { signonCode: signon?.code, ...(profile === undefined ? {} : { ...profile }) };
  if (profile !== undefined && (profile.status?.code ?? 0) === 0)
    return {
      ok: true,
      detail: `${profile.institution ?? "the server"} supports ${profile.messageSets.join(", ") || "no message sets"}`,
      data,
    };
  return {
    ok: false,
    detail: `no profile: signon ${signon?.code ?? "missing"}${signon?.message === undefined ? "" : ` (${signon.message})`}`,
    data,
  };
}

async function signonOutcome(
  context: ConnectorContext,
  root: ReturnType<typeof parseOfx>["root"],
): Promise<Outcome> {
  const signon = readSignon(root);
  if (signon === undefined) return { ok: false, detail: "no signon status in the answer" };
  const message = signon.message === undefined ? "" : ` (${signon.message})`;
  if (signon.code === 3000)
    return {
      ok: true,
      detail: "signed on; the server asks a second factor (MFA challenge)",
      data: { ofxCode: 3000, credentialStatus: CredentialStatus.Waiting },
    };
  if (signon.code !== 0) {
    const status = credentialStatusForOfx(signon.code);
    return {
      ok: false,
      detail: `signon refused: OFX ${signon.code}${message} -> ${status} ${describe(status, "credential")?.name ?? ""}`,
      data: { ofxCode: signon.code, credentialStatus: status },
    };
  }
  context.session.accounts = readAccountInfo(root);
  const accounts = await ofxConnector.listAccounts(context);
  return {
    ok: true,
    detail: `signed on: ${accounts.length} account(s)`,
    data: { ofxCode: 0, accounts: accounts.length },
  };
}

export async function testSiteConnection(
  deps: ConnectionTestDeps,
  site: Site,
  fields?: Readonly<Record<string, string>>,
): Promise<ConnectionReport> {
  const steps: ConnectionStep[] = [];
  const password = fields?.password;
  const hide = (text: string) =>
    password === undefined || password === "" ? text : text.replaceAll(password, "***");
  const record = (step: ConnectionStep["step"], outcome: Outcome): boolean => {
    const data =
      outcome.data === undefined
        ? undefined
        : (JSON.parse(hide(JSON.stringify(outcome.data))) as Record<string, unknown>);
    steps.push({
      step,
      ok: outcome.ok,
      detail: hide(outcome.detail),
      ...(data === undefined ? {} : { data }),
    });
    return outcome.ok;
  };
  const report = () => ({ siteId: site.id, ok: steps.every((s) => s.ok), steps });
  const timeoutMs = deps.config.link.connectorTimeoutMs;

  const isOfx = site.connector === "ofx";
  if (isOfx) {
    try {
      const options = ofxOptions(site);
      record("options", {
        ok: true,
        detail: `OFX ${options.version}, ${options.appId} ${options.appVer}, ORG ${options.org || "-"}, FID ${options.fid || "-"}`,
      });
    } catch (error) {
      record("options", { ok: false, detail: (error as Error).message });
      return report();
    }
  }
  const base = deps.link.siteUrl(site);
  let url: URL;
  try {
    url = new URL(base ?? "");
  } catch {
    record("address", {
      ok: false,
      detail: base === undefined ? "the site is not offered by this server" : "the site's URL is not a URL",
    });
    return report();
  }
  const address = await checkAddress(deps, site, url);
  if (!record("address", address) || address.address === undefined) return report();
  if (
    url.protocol === "https:" &&
    !record("tls", await handshake(url, address.address, site.tls?.ca, timeoutMs))
  )
    return report();

  const context: ConnectorContext = {
    site,
    baseUrl: url.toString(),
    signal: AbortSignal.timeout(timeoutMs),
    fields: fields ?? { login: ANONYMOUS_USER, password: ANONYMOUS_USER },
    session: {},
    io: siteIoOf(deps.config.link),
  };
  if (!isOfx) {
    record("http", {
      ok: true,
      detail: "not an OFX site: the address and TLS were checked, the login is tested by a sync",
    });
    return report();
  }
  const input = signonInput(context);
  const request = fields === undefined ? profileRequest(input) : accountInfoRequest(input);
  let answer: { status: number; text: string };
  try {
    answer = await exchangeText(context, request, randomUUID().replaceAll("-", ""));
  } catch (error) {
    record("http", {
      ok: false,
      detail: error instanceof ConnectorFailure ? error.message : "the request failed",
    });
    return report();
  }
  if (
    !record("http", {
      ok: answer.status === 200,
      detail: `HTTP ${answer.status}`,
      data: { status: answer.status },
    })
  )
    return report();
  let root: ReturnType<typeof parseOfx>["root"];
  try {
    const document = parseOfx(answer.text);
    root = document.root;
    record("ofx", {
      ok: true,
      detail: `an OFX ${document.version} answer`,
      data: { version: document.version },
    });
  } catch (error) {
    record("ofx", { ok: false, detail: `not an OFX answer: ${(error as Error).message}` });
    return report();
  }
  if (fields === undefined) record("profile", profileOutcome(root));
  else record("signon", await signonOutcome(context, root));
  return report();
}
