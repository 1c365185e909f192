import { TesseraApiCode, TesseraError } from "@tessera/codes";
import { Command } from "commander";
import { readAllPages } from "../../app/paging.ts";
import { formatRfc3339 } from "../../app/rfc3339-time.ts";
import { auditCli, printJsonOrLines, withContext } from "../../cli/command-context.ts";
import { readPassword } from "../../cli/prompt.ts";
import { formatTable } from "../../cli/table.ts";
import { requireTenant } from "../../tenants/tenant-cli.ts";
import { checkSecret, clientRangeOf } from "./client-input.ts";
import {
  addRadiusClient,
  clientView,
  deleteRadiusClient,
  listRadiusClients,
  type RadiusClientView,
} from "./client-store.ts";

/**
 * `tessera radius client add|list|remove`: the operator's side of /v1/radius/clients. The shared
 * secret is read from standard input, or asked for without echo on a terminal: never an argument,
 * which every user of the machine could read in the process list and which shells keep in history.
 */
const shown = (view: RadiusClientView) => ({ ...view, createdAt: formatRfc3339(view.createdAt) });

function checkName(name: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (name.length < 1 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name))
    throw new TesseraError(TesseraApiCode.MalformedRequest, {
      message: "--name must be 1–100 characters without control characters",
      field: "name",
    });
}

type AddOptions = {
  tenant: string;
  name: string;
  address: string;
  messageAuthenticator: boolean;
  json?: boolean;
};

export function radiusCommand(): Command {
  const radius = new Command("radius").description(
    "RADIUS: the clients (NAS, VPN gateways) allowed to send requests",
  );
  const client = radius.command("client").description("add, list and remove RADIUS clients");
  client
    .command("add")
    .description(
      "add a client; the shared secret is read from standard input (asked without echo on a terminal)",
    )
    .requiredOption("--tenant <tenant>", "the tenant (id or name)")
    .requiredOption("--name <name>", "a label for people")
    .requiredOption("--address <address>", "the source address or CIDR range of its packets")
    .option(
      "--no-message-authenticator",
      "accept its Access-Requests without Message-Authenticator (legacy gear only: BlastRADIUS, CVE-2024-3596)",
    )
    .option("--json", "print JSON")
    .action((o: AddOptions, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        checkName(o.name);
        const range = clientRangeOf(o.address, "address");
        const secret = await readPassword(`Shared secret for ${o.name}`);
        checkSecret(secret);
        const view = await addRadiusClient(ctx, tenant.id, {
          name: o.name,
          range,
          secret,
          requireMessageAuthenticator: o.messageAuthenticator,
        });
        await auditCli(ctx, {
          tenantId: tenant.id,
          subject: `radius-client:${view.id}`,
          operation: "radius.client.add",
          resultCode: 0,
        });
        if (!view.requireMessageAuthenticator)
          process.stderr.write(
            "warning: this client's Access-Requests are accepted without Message-Authenticator, which leaves it open to BlastRADIUS (CVE-2024-3596); upgrade the device and add it again without --no-message-authenticator\n",
          );
        printJsonOrLines(Boolean(o.json), { client: shown(view) }, () => [
          `added RADIUS client ${view.id} (${view.name}, ${view.address})`,
        ]);
      }),
    );
  client
    .command("list")
    .description("list a tenant's clients (never their secrets)")
    .requiredOption("--tenant <tenant>", "the tenant (id or name)")
    .option("--json", "print JSON")
    .action((o: { tenant: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        const rows = await readAllPages(
          (after, limit) => listRadiusClients(ctx.database.db, tenant.id, after, limit),
          (row) => [row.created_at, row.id],
        );
        const views = rows.map((row) => shown(clientView(row)));
        printJsonOrLines(Boolean(o.json), { clients: views }, () =>
          formatTable(
            ["ID", "NAME", "ADDRESS", "MESSAGE-AUTHENTICATOR", "CREATED"],
            views.map((v) => [
              v.id,
              v.name,
              v.address,
              v.requireMessageAuthenticator ? "required" : "optional",
              v.createdAt,
            ]),
          ),
        );
      }),
    );
  client
    .command("remove")
    .description("remove a client: its next packet is dropped as from an unknown source")
    .argument("<id>", "the client's id, as listed")
    .requiredOption("--tenant <tenant>", "the tenant (id or name)")
    .option("--json", "print JSON")
    .action((id: string, o: { tenant: string; json?: boolean }, command: Command) =>
      withContext(command, async (ctx) => {
        const tenant = await requireTenant(ctx, o.tenant);
        if (!(await deleteRadiusClient(ctx.database.db, tenant.id, id)))
          throw new TesseraError(TesseraApiCode.NotFound, {
            message: `tenant ${o.tenant} has no RADIUS client ${id}`,
          });
        await auditCli(ctx, {
          tenantId: tenant.id,
          subject: `radius-client:${id}`,
          operation: "radius.client.remove",
          resultCode: 0,
        });
        printJsonOrLines(Boolean(o.json), { deleted: true }, () => [`removed RADIUS client ${id}`]);
      }),
    );
  return radius;
}
