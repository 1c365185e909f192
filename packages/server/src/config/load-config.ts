import { readFileSync } from "node:fs";
import { transportConfigProblems } from "../out-of-band/transports/transport-config.ts";
import { isValidIpRange } from "../tenants/ip-ranges.ts";
import { resolveDataDir } from "./data-dir.ts";
import { type Setting, settings } from "./settings.ts";
import type { TesseraConfig } from "./tessera-config.ts";

/** Every problem found at start, reported together so an operator fixes them in one go. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }
}

export interface ConfigSources {
  /** Values from command-line flags, by setting path; they win over everything. */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A JSON config file; its keys are the setting paths, nested ("smtp": {"host": ...}). */
  readonly file?: string;
}

/**
 * Settings that no longer exist but that an upgraded installation may still set. Ignoring them
 * would start a server that silently behaves differently (an old TESSERA_TRUST_PROXY=1 behind a
 * proxy would give every client the proxy's address), so they stop the start with the way forward.
 */
const trustProxyGone =
  "trustProxy was replaced by trustedProxies (TESSERA_TRUSTED_PROXIES): list your proxies' addresses or CIDR ranges";
const removed = new Map([["trustProxy", trustProxyGone]]);
const removedEnv = new Map([["TESSERA_TRUST_PROXY", trustProxyGone]]);

/** Precedence: flags, then environment, then the config file, then defaults. */
/** Integer settings whose range says too little: the only values that work, and why. */
const allowedValues: Readonly<Record<string, { readonly values: readonly number[]; readonly why: string }>> =
  {
    // Any other length never splits off a code, so every combined sign-in would count as a wrong password.
    "radius.codeLength": {
      values: [0, 6, 8],
      why: "one-time codes have 6 or 8 digits; 0 leaves it to radius.codeSeparator",
    },
  };

export function loadConfig(sources: ConfigSources = {}): TesseraConfig {
  const env = sources.env ?? process.env;
  const problems: string[] = [];
  const fromFile = sources.file === undefined ? {} : readConfigFile(sources.file, problems);
  const known = new Set<string>(settings.map((s) => s.path));
  for (const path of Object.keys(fromFile)) {
    if (removed.has(path)) problems.push(`${sources.file}: ${removed.get(path)}`);
    else if (!known.has(path)) problems.push(`${sources.file}: unknown setting "${path}"`);
  }
  for (const [name, why] of removedEnv) if ((env[name] ?? "") !== "") problems.push(`${name}: ${why}`);
  const config: Record<string, unknown> = {};
  for (const setting of settings) {
    const flag = sources.flags?.[setting.path];
    const raw = flag ?? env[setting.env] ?? fromFile[setting.path];
    const origin =
      flag !== undefined ? "command line" : env[setting.env] !== undefined ? setting.env : `${sources.file}`;
    const value = raw === undefined || raw === "" ? setting.default : coerce(setting, raw, origin, problems);
    const allowed = allowedValues[setting.path];
    if (allowed !== undefined && typeof value === "number" && !allowed.values.includes(value))
      problems.push(
        `${setting.path} (${origin}) must be ${allowed.values.join(", ").replace(/, (\d+)$/, " or $1")} (${allowed.why}), got ${value}`,
      );
    if (value !== undefined) setPath(config, setting.path, value);
  }
  for (const group of ["keys", "smtp", "passwords", "apiKeys", "recovery", "audit", "link", "rateLimits"])
    config[group] ??= {};
  if (problems.length === 0) problems.push(...transportConfigProblems(config as unknown as TesseraConfig));
  if (problems.length > 0) throw new ConfigError(problems);
  const result = config as unknown as TesseraConfig;
  const dataDirFromFile = sources.flags?.dataDir === undefined && env.TESSERA_DATA_DIR === undefined;
  const dataDir = resolveDataDir(result.dataDir, dataDirFromFile ? sources.file : undefined, env);
  return { ...result, dataDir };
}

function readConfigFile(file: string, problems: string[]): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    problems.push(`${file}: cannot read as JSON (${(error as Error).message})`);
    return {};
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    problems.push(`${file}: must hold a JSON object`);
    return {};
  }
  return flatten(parsed as Record<string, unknown>);
}

function flatten(object: Record<string, unknown>, prefix = ""): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      Object.assign(flat, flatten(value as Record<string, unknown>, path));
    else flat[path] = value;
  }
  return flat;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node[part] ??= {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts.at(-1) as string] = value;
}

/** Converts a raw value to the setting's type, or records why it cannot (never echoing secrets). */
function coerce(setting: Setting, raw: unknown, origin: string, problems: string[]): unknown {
  const shown = setting.secret ? "(value hidden)" : JSON.stringify(raw);
  const fail = (expected: string) => {
    problems.push(`${setting.path} (${origin}) must be ${expected}, got ${shown}`);
    return undefined;
  };
  const type = setting.type;
  switch (type.kind) {
    case "integer": {
      const n =
        typeof raw === "number"
          ? raw
          : typeof raw === "string" && /^-?\d+$/.test(raw.trim())
            ? Number(raw)
            : Number.NaN;
      return Number.isInteger(n) && n >= type.min && n <= type.max
        ? n
        : fail(`an integer from ${type.min} to ${type.max}`);
    }
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1") return true;
      if (raw === "false" || raw === "0") return false;
      return fail("true or false");
    case "enum":
      return typeof raw === "string" && type.values.includes(raw)
        ? raw
        : fail(`one of ${type.values.join(", ")}`);
    case "url": {
      if (typeof raw !== "string" || !URL.canParse(raw))
        return fail(`a URL (${type.protocols.join(" or ")})`);
      return type.protocols.includes(new URL(raw).protocol)
        ? raw
        : fail(`a URL (${type.protocols.join(" or ")})`);
    }
    case "cidrs": {
      const list = Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : undefined;
      const entries = list?.map((entry) => (typeof entry === "string" ? entry.trim() : "")) ?? [""];
      return entries.every(isValidIpRange)
        ? entries.join(",")
        : fail("comma-separated IP addresses or CIDR ranges (10.0.0.0/8, ::1)");
    }
    case "string":
      if (typeof raw !== "string") return fail("a string");
      return type.pattern === undefined || type.pattern.test(raw)
        ? raw
        : fail(`of the form ${type.pattern.source}`);
  }
}
