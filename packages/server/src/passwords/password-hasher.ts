import { argon2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const argon2Async = promisify(argon2);

export interface Argon2Parameters {
  readonly memoryKiB: number;
  readonly passes: number;
  readonly parallelism: number;
}

/**
 * Argon2id password hashes in the PHC string format, `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, so
 * the parameters travel with each hash: raising the configured cost later rehashes each password
 * transparently at its next successful login (needsRehash). The floor is OWASP's minimum
 * (m=19 MiB, t=2, p=1); configuration cannot go below it.
 */
export class PasswordHasher {
  readonly parameters: Argon2Parameters;

  constructor(parameters: Argon2Parameters) {
    this.parameters = parameters;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const { memoryKiB: m, passes: t, parallelism: p } = this.parameters;
    const tag = await derive(password, salt, this.parameters);
    return `$argon2id$v=19$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(tag)}`;
  }

  /** Constant-time comparison of the derived tag; a malformed stored hash never verifies. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const parsed = parse(encoded);
    if (parsed === undefined) return false;
    const tag = await derive(password, parsed.salt, parsed.parameters, parsed.tag.length);
    return tag.length === parsed.tag.length && timingSafeEqual(tag, parsed.tag);
  }

  /** Spends the same work as a real verification, for unknown users (no timing oracle). */
  async verifyNothing(password: string): Promise<void> {
    await derive(password, DUMMY_SALT, this.parameters);
  }

  needsRehash(encoded: string): boolean {
    const parsed = parse(encoded);
    if (parsed === undefined) return true;
    const current = parsed.parameters;
    return (
      current.memoryKiB < this.parameters.memoryKiB ||
      current.passes < this.parameters.passes ||
      current.parallelism !== this.parameters.parallelism
    );
  }
}

const DUMMY_SALT = randomBytes(16);
const b64 = (buffer: Buffer) => buffer.toString("base64").replace(/=+$/, "");

function derive(
  password: string,
  salt: Buffer,
  parameters: Argon2Parameters,
  tagLength = 32,
): Promise<Buffer> {
  return argon2Async("argon2id", {
    message: Buffer.from(password.normalize("NFC")),
    nonce: salt,
    parallelism: parameters.parallelism,
    tagLength,
    memory: parameters.memoryKiB,
    passes: parameters.passes,
  });
}

const phc = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parse(encoded: string) {
  const match = phc.exec(encoded);
  if (match === null) return undefined;
  const [, m, t, p, salt, tag] = match;
  return {
    parameters: { memoryKiB: Number(m), passes: Number(t), parallelism: Number(p) },
    salt: Buffer.from(salt as string, "base64"),
    tag: Buffer.from(tag as string, "base64"),
  };
}
