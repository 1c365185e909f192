import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "../audit/audit-log.ts";
import { type AuditSigner, loadAuditSigner } from "../audit/audit-signing-key.ts";
import { type Clock, systemClock } from "../clock/clock.ts";
import type { TesseraConfig } from "../config/tessera-config.ts";
import { Housekeeping } from "../housekeeping/housekeeping.ts";
import { LinkRuntime } from "../link/link-runtime.ts";
import { createMailer, type Mailer } from "../mail/mailer.ts";
import { closeTransports } from "../out-of-band/transports/transport-runtime.ts";
import { PasswordHasher } from "../passwords/password-hasher.ts";
import { verifyMasterKeys } from "../secrets/key-check.ts";
import { KeyService } from "../secrets/key-service.ts";
import { loadKeyring } from "../secrets/keyring.ts";
import { installClientAnswers } from "../sso/clients/install-client-answers.ts";
import { installGrants } from "../sso/grants/install-grants.ts";
import { TenantProviders } from "../sso/provider/tenant-providers.ts";
import { type Database, openDatabase } from "../storage/database.ts";
import { initialPublicUrl } from "./public-url.ts";

/** Everything a request handler or a CLI command needs, built once per process. */
export interface ServerContext {
  readonly config: TesseraConfig;
  readonly database: Database;
  readonly keys: KeyService;
  readonly clock: Clock;
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly signer: AuditSigner;
  readonly passwords: PasswordHasher;
  /**
   * Base URL for links in e-mails (build links with publicLink in public-url.ts). Without a
   * configured publicUrl, runServer sets it to the bound address once listening.
   */
  publicUrl: string;
  /** Set when shutdown begins: readiness turns false while requests are still served. */
  readonly lifecycle: { draining: boolean };
  /** Link's per-process parts; started by `runServer` and the Link CLI. */
  readonly link: LinkRuntime;
  /** Deletes what has expired, in rounds (housekeeping/); started by run-server.ts. */
  readonly housekeeping: Housekeeping;
  /** Each tenant's OpenID Connect provider, made on first use (sso/provider/tenant-providers.ts). */
  readonly sso: TenantProviders;
  close(): Promise<void>;
}

export interface ContextOverrides {
  readonly clock?: Clock;
  readonly mailer?: Mailer;
  /** Opens a trail signed before issue #9 for the audit commands (read-only or the explicit upgrade). */
  readonly allowLegacyAudit?: boolean;
  /**
   * Whether a place without Tessera data may become a new installation (its database and master
   * key). The server and `tenant create` may; other CLI commands refuse (NoTesseraDataError), so a
   * mistyped --data-dir is reported instead of silently becoming an empty installation with its
   * own key. Default true.
   */
  readonly mayCreateData?: boolean;
}

/** A command that only uses an installation was pointed at a place that holds none. */
export class NoTesseraDataError extends Error {
  constructor(where: string, flag: "--data-dir" | "--database-url") {
    super(`no Tessera data in ${where}; start the server first, or pass ${flag}`);
    this.name = "NoTesseraDataError";
  }
}

export async function openServerContext(
  config: TesseraConfig,
  overrides: ContextOverrides = {},
): Promise<ServerContext> {
  // Checked before anything is opened: a publicUrl links cannot be built on fails the start.
  const publicUrl = initialPublicUrl(config);
  const mayCreate = overrides.mayCreateData !== false;
  // SQLite: the file is the data; checked before anything is opened, which would create it.
  if (!mayCreate && config.databaseUrl === undefined && !existsSync(join(config.dataDir, "tessera.sqlite")))
    throw new NoTesseraDataError(config.dataDir, "--data-dir");
  if (mayCreate) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const database = await openDatabase({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    poolSize: config.databasePoolSize,
  });
  try {
    const { db } = database;
    // A fresh database gets a new keyring on first start; a database that already holds secrets
    // never does, so a lost keyring fails closed instead of being silently replaced.
    const fresh = (await db.selectFrom("key_checks").select("key_id").limit(1).execute()).length === 0;
    // With PostgreSQL the database, not the directory, holds the data: an empty one gets no keyring.
    if (fresh && !mayCreate)
      throw new NoTesseraDataError(
        database.location,
        config.databaseUrl === undefined ? "--data-dir" : "--database-url",
      );
    const keyring = loadKeyring({
      keyringFile: config.keys.keyringFile ?? join(config.dataDir, "keyring.json"),
      masterKey: config.keys.masterKey,
      create: fresh,
    });
    const keys = new KeyService(keyring);
    await verifyMasterKeys(db, keys);
    const clock = overrides.clock ?? systemClock;
    const signer = await loadAuditSigner(db, keys);
    const audit = new AuditLog(database, signer, config.audit.checkpointEvery);
    await audit.initialise(clock.now(), overrides.allowLegacyAudit === true);
    const mailer = overrides.mailer ?? createMailer(config.smtp);
    const link = new LinkRuntime(config);
    const housekeeping = new Housekeeping();
    const context: ServerContext = {
      config,
      database,
      keys,
      clock,
      mailer,
      audit,
      signer,
      passwords: new PasswordHasher(config.passwords),
      publicUrl,
      lifecycle: { draining: false },
      link,
      housekeeping,
      async close() {
        await housekeeping.stop();
        await link.stop();
        await closeTransports(context);
        await audit.flush();
        mailer.close();
        await database.close();
      },
      get sso() {
        return sso;
      },
    };
    const sso = new TenantProviders(context);
    installGrants(sso);
    installClientAnswers(sso);
    return context;
  } catch (error) {
    await database.close();
    throw error;
  }
}
