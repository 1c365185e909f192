import { MAX_HOTP_COUNTER } from "../hotp/hotp-type.ts";
import type { OathAlgorithm } from "../oath/oath-code.ts";
import { type ContainerKeys, openValue } from "./pskc-container.ts";
import { readInteger } from "./pskc-integer.ts";
import { optionalDate, readPolicy } from "./pskc-policy.ts";
import { attribute, child, type Node, PskcError, text } from "./pskc-xml.ts";

/** One KeyPackage of a PSKC file, as a token Tessera can validate. */
export interface PskcToken {
  readonly serial: string;
  readonly type: "hotp" | "totp";
  readonly algorithm: OathAlgorithm;
  readonly digits: number;
  readonly period: number | null;
  readonly counter: number;
  /** TOTP: the device clock's offset in time steps. */
  readonly drift: number;
  readonly secret: Buffer;
  /** Epoch milliseconds after which the key must not be used (the earliest the file gives). */
  readonly expires: number | null;
  /** Epoch milliseconds before which the key must not be used. */
  readonly start: number | null;
  /** The policy's NumberOfTransactions. */
  readonly maxUses: number | null;
}

const MAX_TIME_DRIFT = 1000;
const MAX_PERIOD = 86_400;

export function readToken(serial: string, pkg: Node, keys: ContainerKeys): PskcToken {
  if (Array.isArray(pkg.Key)) throw new Error("more than one Key in the KeyPackage");
  const key = child(pkg, "Key");
  if (key === undefined) throw new Error("no Key element");
  // Every value is read (its MAC verified) before anything else is judged: a tampered file is
  // refused whole even when its keys would have been rejected for another reason.
  const data = child(key, "Data");
  const value = (name: string) => dataValue(child(data, name), name, keys);
  const [secretValue, counterValue, timeValue, intervalValue, driftValue] = [
    "Secret",
    "Counter",
    "Time",
    "TimeInterval",
    "TimeDrift",
  ].map(value);
  // Then each field is judged on its own and every defect named, not just the first one found.
  const problems: string[] = [];
  const check = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (error instanceof PskcError) throw error;
      problems.push((error as Error).message);
      return undefined;
    }
  };
  const algorithmUri = attribute(key, "Algorithm") ?? "";
  const type = /:hotp$/i.test(algorithmUri) ? "hotp" : /:totp$/i.test(algorithmUri) ? "totp" : undefined;
  if (type === undefined) problems.push(`unsupported algorithm ${algorithmUri || "(none given)"}`);
  const parameters = child(key, "AlgorithmParameters");
  // The Suite names a hash only for HOTP and TOTP; another algorithm's suite is not judged.
  const algorithm =
    type === undefined ? undefined : check(() => suiteAlgorithm(text(child(parameters, "Suite"))));
  const digits = check(() => responseLength(child(parameters, "ResponseFormat")));
  const policy = check(() => readPolicy(child(key, "Policy")));
  const deviceExpiry = check(() =>
    optionalDate(text(child(child(pkg, "DeviceInfo"), "ExpiryDate")), "DeviceInfo ExpiryDate"),
  );
  const counter = check(() => readInteger(counterValue, "Counter", 0, MAX_HOTP_COUNTER) ?? 0);
  check(() => {
    if ((readInteger(timeValue, "Time", 0, Number.MAX_SAFE_INTEGER) ?? 0) !== 0)
      throw new Error("Time other than 0 is not supported (Tessera counts TOTP steps from the Unix epoch)");
  });
  const period = check(() => readInteger(intervalValue, "TimeInterval", 1, MAX_PERIOD) ?? 30);
  const drift = check(() => readInteger(driftValue, "TimeDrift", -MAX_TIME_DRIFT, MAX_TIME_DRIFT) ?? 0);
  const secret = check(() => {
    if (secretValue === undefined) throw new Error("no Secret (a key given by reference is not supported)");
    return typeof secretValue === "string" ? base64(secretValue, "Secret") : secretValue;
  });
  if (
    problems.length > 0 ||
    type === undefined ||
    algorithm === undefined ||
    digits === undefined ||
    policy === undefined ||
    deviceExpiry === undefined ||
    counter === undefined ||
    period === undefined ||
    drift === undefined ||
    secret === undefined
  )
    throw new Error(problems.join("; "));
  const expiries = [policy.expires, deviceExpiry].filter((date): date is number => date !== null);
  return {
    serial,
    type,
    algorithm,
    digits,
    period: type === "totp" ? period : null,
    counter,
    drift,
    secret,
    expires: expiries.length === 0 ? null : Math.min(...expiries),
    start: policy.start,
    maxUses: policy.maxUses,
  };
}

function responseLength(format: Node | undefined): number {
  const encoding = attribute(format, "Encoding");
  if (encoding !== undefined && encoding !== "DECIMAL")
    throw new Error(`ResponseFormat Encoding ${encoding}: only DECIMAL codes are supported`);
  const checkDigits = attribute(format, "CheckDigits")?.toLowerCase();
  if (checkDigits !== undefined && !["true", "false", "1", "0"].includes(checkDigits))
    throw new Error(`ResponseFormat CheckDigits "${checkDigits}" is not a boolean`);
  if (checkDigits === "true" || checkDigits === "1")
    throw new Error("ResponseFormat CheckDigits: codes with a Luhn check digit are not supported");
  return readInteger(attribute(format, "Length") ?? "6", "ResponseFormat Length", 1, 10) as number;
}

function dataValue(
  element: Node | undefined,
  label: string,
  keys: ContainerKeys,
): string | Buffer | undefined {
  if (element === undefined) return undefined;
  const plain = text(child(element, "PlainValue"));
  if (plain !== undefined) return plain;
  if (child(element, "EncryptedValue") === undefined)
    throw new Error(`${label} has neither PlainValue nor EncryptedValue`);
  return openValue(element, label, keys);
}

function suiteAlgorithm(suite: string | undefined): OathAlgorithm {
  const name = (suite ?? "HMAC-SHA1").toUpperCase().replace(/[^A-Z0-9]/g, "");
  const algorithm = (
    {
      HMACSHA1: "SHA1",
      SHA1: "SHA1",
      HMACSHA256: "SHA256",
      SHA256: "SHA256",
      HMACSHA512: "SHA512",
      SHA512: "SHA512",
    } as const
  )[name as "SHA1"];
  if (algorithm === undefined) throw new Error(`unsupported Suite ${suite}`);
  return algorithm;
}

function base64(value: string, label: string): Buffer {
  const compact = value.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0)
    throw new Error(`${label} is not base64`);
  return Buffer.from(compact, "base64");
}
