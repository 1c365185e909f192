import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { element, find, leaf, type OfxNode, text } from "../../src/link/ofx/ofx-tree.ts";
import { parseOfx } from "../../src/link/ofx/parse-ofx.ts";
import { readInvestmentStatements } from "../../src/link/ofx/read-investment.ts";
import { type OfxAccount, readAccountInfo, readSignon, readStatements } from "../../src/link/ofx/read-ofx.ts";
import { renderOfx } from "../../src/link/ofx/render-ofx.ts";
import type { Site } from "../../src/link/sites/site.ts";

/**
 * A loopback OFX server that answers with the real-world files in test/fixtures/ofx/, byte for
 * byte as the banks wrote them: a file whose signon failed answers every request; a statement
 * request is answered with the file holding that account's statement (or, for an account no file
 * has, the first file whose statement names no account: a statement-level error); an account
 * information request with the file's own list, or one built from the statements' accounts (the
 * fixtures are statement downloads, which have none). Requests are recorded (never the password),
 * and can be held until released, to act on the server while a job waits for the site.
 */
export interface RecordedRequest {
  readonly version: string;
  readonly userId?: string;
  readonly appId?: string;
  readonly appVer?: string;
  readonly clientUid?: string;
  readonly org?: string;
  readonly fid?: string;
  /** profile | accounts | statement | other */
  readonly kind: string;
  readonly accountId?: string;
}

export interface OfxReplayServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The next requests wait until the returned function is called. */
  hold(): () => void;
  close(): Promise<void>;
}

const fixtures = new URL("../fixtures/ofx/", import.meta.url);
export const fixture = (name: string) => readFileSync(new URL(name, fixtures), "latin1");

function kindOf(root: OfxNode): { kind: string; accountId?: string } {
  if (find(root, "PROFMSGSRQV1") !== undefined) return { kind: "profile" };
  if (find(root, "SIGNUPMSGSRQV1", "ACCTINFOTRNRQ") !== undefined) return { kind: "accounts" };
  const bank = text(find(root, "BANKMSGSRQV1", "STMTTRNRQ", "STMTRQ"), "BANKACCTFROM", "ACCTID");
  const card = text(find(root, "CREDITCARDMSGSRQV1", "CCSTMTTRNRQ", "CCSTMTRQ"), "CCACCTFROM", "ACCTID");
  const invest = text(find(root, "INVSTMTMSGSRQV1", "INVSTMTTRNRQ", "INVSTMTRQ"), "INVACCTFROM", "ACCTID");
  const accountId = bank ?? card ?? invest;
  return accountId === undefined ? { kind: "other" } : { kind: "statement", accountId };
}

function accountList(accounts: readonly OfxAccount[], version: string): string {
  const banking = accounts.filter((a) => a.kind !== "investment");
  const infos = banking.map((a) =>
    element(
      "ACCTINFO",
      leaf("DESC", `${a.kind} ${a.accountId}`),
      a.kind === "creditcard"
        ? element(
            "CCACCTINFO",
            element("CCACCTFROM", leaf("ACCTID", a.accountId)),
            leaf("SVCSTATUS", "ACTIVE"),
          )
        : element(
            "BANKACCTINFO",
            element(
              "BANKACCTFROM",
              leaf("BANKID", a.bankId ?? "0"),
              leaf("ACCTID", a.accountId),
              leaf("ACCTTYPE", a.kind.toUpperCase()),
            ),
            leaf("SVCSTATUS", "ACTIVE"),
          ),
    ),
  );
  // Investment accounts are listed as brokers list them (INVACCTINFO).
  const investments = accounts
    .filter((a) => a.kind === "investment")
    .map((a) =>
      element(
        "ACCTINFO",
        leaf("DESC", `investment ${a.accountId}`),
        element(
          "INVACCTINFO",
          element("INVACCTFROM", leaf("BROKERID", a.bankId ?? "0"), leaf("ACCTID", a.accountId)),
        ),
      ),
    );
  const ok = element("STATUS", leaf("CODE", 0), leaf("SEVERITY", "INFO"));
  const answer = element(
    "OFX",
    element(
      "SIGNONMSGSRSV1",
      element("SONRS", ok, leaf("DTSERVER", "20260101000000"), leaf("LANGUAGE", "ENG")),
    ),
    element(
      "SIGNUPMSGSRSV1",
      element(
        "ACCTINFOTRNRS",
        leaf("TRNUID", "1"),
        ok,
        element("ACCTINFORS", leaf("DTACCTUP", "20260101"), ...infos, ...investments),
      ),
    ),
  );
  return renderOfx(answer, version === "102" || version === "220" ? version : "102");
}

export async function startOfxReplayServer(
  files: readonly string[],
  options: { extraAccounts?: readonly OfxAccount[] } = {},
): Promise<OfxReplayServer> {
  const documents = files.map((name) => ({ raw: fixture(name), root: parseOfx(fixture(name)).root }));
  const failedSignon = documents.find((d) => (readSignon(d.root)?.code ?? 0) !== 0);
  const withList = documents.find((d) => readAccountInfo(d.root).length > 0);
  const investmentAccounts = (root: OfxNode): OfxAccount[] =>
    readInvestmentStatements(root).flatMap((s) =>
      s.accountId === undefined
        ? []
        : [
            {
              kind: "investment",
              accountId: s.accountId,
              ...(s.brokerId === undefined ? {} : { bankId: s.brokerId }),
            },
          ],
    );
  const accountsOf = (root: OfxNode) => [
    ...readStatements(root).flatMap((s) => s.account ?? []),
    ...investmentAccounts(root),
  ];
  const statementAccounts = documents.flatMap((d) => accountsOf(d.root));
  const accounts = [...statementAccounts, ...(options.extraAccounts ?? [])];
  const requests: RecordedRequest[] = [];
  let held: Promise<void> | undefined;

  const answer = (root: OfxNode, version: string): string => {
    if (failedSignon !== undefined) return failedSignon.raw;
    const { kind, accountId } = kindOf(root);
    if (kind === "accounts") return withList?.raw ?? accountList(accounts, version);
    if (kind === "statement") {
      const holder =
        documents.find((d) => accountsOf(d.root).some((a) => a.accountId === accountId)) ??
        documents.find((d) => readStatements(d.root).some((s) => s.account === undefined));
      if (holder !== undefined) return holder.raw;
    }
    return (documents[0] as { raw: string }).raw;
  };

  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const document = parseOfx(Buffer.concat(chunks).toString("latin1"));
    const sonrq = find(document.root, "SIGNONMSGSRQV1", "SONRQ");
    const recorded: Record<string, string | undefined> = {
      version: document.version,
      userId: text(sonrq, "USERID"),
      appId: text(sonrq, "APPID"),
      appVer: text(sonrq, "APPVER"),
      clientUid: text(sonrq, "CLIENTUID"),
      org: text(sonrq, "FI", "ORG"),
      fid: text(sonrq, "FI", "FID"),
      ...kindOf(document.root),
    };
    requests.push(Object.fromEntries(Object.entries(recorded).filter(([, v]) => v !== undefined)) as never);
    await held;
    response.writeHead(200, { "content-type": "application/x-ofx" });
    response.end(Buffer.from(answer(document.root, document.version), "latin1"));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ofx`,
    requests,
    hold() {
      let release = () => {};
      held = new Promise<void>((resolve) => {
        release = () => {
          held = undefined;
          resolve();
        };
      });
      return release;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

/** An OFX site (as an operator would add it) served by the replay server at `url`. */
export const ofxSite = (url: string, options: Record<string, string> = {}): Site => ({
  id: "replay-bank",
  name: "Replay Bank",
  organisation: "Replay Bank",
  kind: "personal-banking",
  connector: "ofx",
  fields: [
    {
      name: "login",
      type: "text",
      label: "User ID",
      required: true,
      username: true,
      token: false,
      maxLength: 200,
    },
    {
      name: "password",
      type: "password",
      label: "PIN",
      required: true,
      username: false,
      token: false,
      maxLength: 200,
    },
  ],
  sandbox: false,
  tenantId: null,
  url,
  maxConcurrency: 4,
  enabled: true,
  maintenance: [],
  options: { org: "REPLAY", fid: "1234", ...options },
});
