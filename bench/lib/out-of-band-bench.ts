import { openServerContext } from "../../packages/server/src/app/server-context.ts";
import { loadConfig } from "../../packages/server/src/config/load-config.ts";
import { deliverMessage } from "../../packages/server/src/out-of-band/transports/deliver-message.ts";
import { SmppClient } from "../../packages/server/src/out-of-band/transports/smpp-client.ts";
import { findTenant } from "../../packages/server/src/tenants/tenant-store.ts";
import { startSmppGateway } from "../../packages/server/test/helpers/smpp-gateway.ts";
import { startSmtpSink } from "../../packages/server/test/helpers/smtp-sink.ts";

/**
 * Out-of-band code sends per second through deliverMessage (template look-up, rendering, the
 * transport) with the SMTP and SMPP peers local (the tests' smtp-server sink and SMPP gateway),
 * at concurrency 1 and 16, with latency percentiles; next to the bare transport sending the same
 * text (the mailer alone, an SMPP client alone), which is the floor. The lead extends it to the
 * HTTP route (POST /v1/auth/challenge) once the challenge part is merged.
 */
export interface OutOfBandRow {
  readonly transport: "smtp" | "smpp";
  readonly implementation: "deliverMessage" | "bare transport";
  readonly concurrency: number;
  readonly sendsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const credentials = { systemId: "bench", password: "bench" };

export async function benchOutOfBand(options: {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly tenantId: string;
  readonly durationSeconds: number;
}): Promise<OutOfBandRow[]> {
  const sink = await startSmtpSink();
  const gateway = await startSmppGateway(credentials);
  const config = loadConfig({
    env: {},
    flags: {
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      logLevel: "silent",
      "smtp.host": "127.0.0.1",
      "smtp.port": sink.port,
      "outOfBand.smsTransport": "smpp",
      "smpp.url": gateway.url,
      "smpp.systemId": credentials.systemId,
      "smpp.password": credentials.password,
    },
  });
  const ctx = await openServerContext(config);
  const bare = new SmppClient(config.smpp, () => {});
  const rows: OutOfBandRow[] = [];
  try {
    const tenant = await findTenant(ctx.database.db, options.tenantId);
    if (tenant === undefined) throw new Error("the bench tenant is missing");
    let n = 0;
    const message = (method: "email" | "sms") => ({
      tenant,
      method,
      to: method === "email" ? `bench${n++ % 1000}@example.test` : "+447700900123",
      purpose: "sign-in-code" as const,
      locale: "de-CH",
      code: String(100000 + (n % 900000)),
      expiresInMinutes: 10,
    });
    const text = "123456 is your bench sign-in code. It expires in 10 minutes. Never share it.";
    const workloads = [
      ["smtp", "deliverMessage", () => deliverMessage(ctx, message("email"))],
      ["smtp", "bare transport", () => ctx.mailer.send({ to: "bare@example.test", subject: "code", text })],
      ["smpp", "deliverMessage", () => deliverMessage(ctx, message("sms"))],
      ["smpp", "bare transport", () => bare.submit("+447700900123", text)],
    ] as const;
    for (const [transport, implementation, send] of workloads)
      for (const concurrency of [1, 16]) {
        const latencies = await run(send, concurrency, options.durationSeconds);
        latencies.sort((a, b) => a - b);
        const at = (q: number) =>
          Math.round((latencies[Math.floor(q * (latencies.length - 1))] ?? 0) * 100) / 100;
        rows.push({
          transport,
          implementation,
          concurrency,
          sendsPerSecond: Math.round(latencies.length / options.durationSeconds),
          p50Ms: at(0.5),
          p99Ms: at(0.99),
        });
      }
  } finally {
    await bare.close();
    await ctx.close();
    await gateway.close();
    await sink.close();
  }
  return rows;
}

/** `concurrency` loops calling `send` until the time is up; the latency of each send in ms. */
async function run(send: () => Promise<unknown>, concurrency: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        await send();
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}
