import { parseArgs } from "node:util";
import type { InitOptions } from "../setup/init-options.ts";
import { isClientId } from "../tokens/client-ids.ts";

/**
 * tessera-login's command line: `tessera-login <command> [options]`. Built on node:util's
 * parseArgs rather than commander: this package is embedded in other people's programs and keeps
 * its dependencies to openid-client and jose.
 */
export const commands = ["signin", "status", "token", "signout", "whoami"] as const;
export type Command = (typeof commands)[number];

export interface CliRequest {
  readonly command: Command;
  readonly init: InitOptions;
  readonly json: boolean;
  readonly device: boolean;
  readonly everywhere: boolean;
  /** `token --for <client id>`: a token for a further client id (registered first). */
  readonly tokenFor?: string;
}

export const usage = `Usage: tessera-login <command> [options]

Commands:
  signin     sign in through the system browser (--device: show a code to enter elsewhere)
  status     whether someone is signed in, online or offline
  token      print an access token (--for <client id>: for a further app of the tenant)
  signout    sign out in every process of the program (--everywhere: also in the browser)
  whoami     the signed-in user's profile

Options:
  --issuer <url>        the tenant's issuer (or TESSERA_ISSUER)
  --client-id <id>      the program's client id (or TESSERA_CLIENT_ID)
  --batch               batch mode: a personal access token (TESSERA_PERSONAL_ACCESS_TOKEN) or a
                        client secret (TESSERA_CLIENT_SECRET), no sign-in
  --locale <tag>        language of the sign-in pages (en, de, es)
  --store-dir <dir>     where the shared session store lives (an absolute path)
  --timeout-ms <n>      how long one request to the server may take
  --json                one JSON object on stdout: status, statusName, message and the value
  -h, --help            this text

An option given twice is a usage error.

Exit codes: 0 done, 1 failed, 2 usage, 3 sign-in required, 4 offline (answered from the
signed-in cache), 5 server unreachable or failing.
`;

/** The request, or the usage problem as a string. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): CliRequest | string {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    return shown((error as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  if (values.help === true) return "help";
  const command = positionals[0];
  if (positionals.length !== 1 || !commands.includes(command as Command))
    return positionals.length === 0
      ? "a command is required"
      : `unknown command: ${shown(JSON.stringify(positionals.join(" ")))}`;
  // The last of two values winning silently would let a script's appended --issuer (or an
  // attacker's, in a variable expanded into the line) redirect the sign-in: refuse instead.
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name)) return `--${token.name} is given more than once`;
    seen.add(token.name);
  }
  const issuer = values.issuer ?? (env.TESSERA_ISSUER || undefined);
  const clientId = values["client-id"] ?? (env.TESSERA_CLIENT_ID || undefined);
  if (issuer === undefined) return "--issuer (or TESSERA_ISSUER) is required";
  if (clientId === undefined) return "--client-id (or TESSERA_CLIENT_ID) is required";
  let timeoutMs: number | undefined;
  if (values["timeout-ms"] !== undefined) {
    timeoutMs = Number(values["timeout-ms"]);
    if (!/^\d{1,9}$/.test(values["timeout-ms"])) return "--timeout-ms must be a whole number of milliseconds";
  }
  // The library's message would name its own options (authentication: "none"), which no command
  // line can give: say which variables a job must set.
  if (values.batch === true && !env.TESSERA_PERSONAL_ACCESS_TOKEN && !env.TESSERA_CLIENT_SECRET)
    return "--batch needs TESSERA_PERSONAL_ACCESS_TOKEN (a personal access token) or TESSERA_CLIENT_SECRET (a confidential app's secret) in the environment";
  if (values.for !== undefined && command !== "token") return "--for is an option of token";
  if (values.for !== undefined && !isClientId(values.for))
    return "--for must be a client id (1 to 128 characters of A-Z a-z 0-9 . _ ~ -)";
  return {
    command: command as Command,
    init: {
      issuer,
      clientId,
      mode: values.batch === true ? "batch" : "interactive",
      ...(values.locale === undefined ? {} : { locale: values.locale }),
      ...(values["store-dir"] === undefined ? {} : { storeDir: values["store-dir"] }),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    },
    json: values.json === true,
    device: values.device === true,
    everywhere: values.everywhere === true,
    ...(values.for === undefined ? {} : { tokenFor: values.for }),
  };
}

/**
 * What the command line said, made safe to print: control characters (an escape sequence would
 * drive the person's terminal) shown escaped, and at most 200 characters of it.
 */
function shown(text: string): string {
  const escaped = Array.from(text, (char) => {
    const code = char.charCodeAt(0);
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    return control ? `\\u${code.toString(16).padStart(4, "0")}` : char;
  }).join("");
  return escaped.length > 200 ? `${escaped.slice(0, 200)}… (${escaped.length} characters)` : escaped;
}

const parse = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    tokens: true,
    options: {
      issuer: { type: "string" },
      "client-id": { type: "string" },
      batch: { type: "boolean" },
      locale: { type: "string" },
      "store-dir": { type: "string" },
      "timeout-ms": { type: "string" },
      json: { type: "boolean" },
      device: { type: "boolean" },
      everywhere: { type: "boolean" },
      for: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
