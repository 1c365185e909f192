import { hostname } from "node:os";
import { ExitCode } from "../cli/exit-codes.ts";
import { generateDeviceKey, type KeyAlgorithm, loadPrivateKey, signWith } from "../protocol/device-key.ts";
import { parseEnrolmentUrl } from "../protocol/enrolment-url.ts";
import { answerOf, describeFetchError, REQUEST_TIMEOUT_MS, unreachable } from "../protocol/server-answer.ts";
import { appSigningString } from "../protocol/signing-string.ts";
import { serialPattern } from "../state/account.ts";
import type { CommandContext } from "./command-context.ts";

/**
 * `enrol <link>`: a new key pair, its public key sent with a proof of possession (the request
 * signed by the new key), and the device kept in the state directory. The directory is checked
 * before the link is used: the link is single use, and a key that cannot be kept would waste it.
 */
export async function enrol(
  context: CommandContext,
  link: string,
  options: { algorithm: KeyAlgorithm; name?: string | undefined },
): Promise<number> {
  const { server, path } = parseEnrolmentUrl(link);
  await context.store.prepare();
  const key = generateDeviceKey(options.algorithm);
  const name = options.name ?? `tessera-authenticator on ${hostname()}`.slice(0, 100);
  const body = JSON.stringify({ algorithm: options.algorithm, publicKey: key.publicKey, name });
  const timestamp = Date.now();
  const signature = signWith(
    options.algorithm,
    loadPrivateKey(key.privateKey),
    appSigningString("POST", path, String(timestamp), Buffer.from(body, "utf8")),
  );
  let response: Response;
  try {
    response = await fetch(`${server}${path.slice(path.indexOf("/app/v1/"))}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "tessera-timestamp": String(timestamp),
        "tessera-signature": signature,
      },
      body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw unreachable(server, describeFetchError(error));
  }
  const answer = await answerOf(server, response);
  const { serial, username, tenant } = answer;
  if (
    typeof serial !== "string" ||
    !serialPattern.test(serial) ||
    typeof username !== "string" ||
    typeof tenant !== "string"
  )
    throw unreachable(server, "an enrolment answer without serial, username and tenant");
  await context.store.save({
    version: 1,
    serial,
    username,
    tenant,
    server,
    algorithm: options.algorithm,
    privateKey: key.privateKey,
    publicKey: key.publicKey,
    enrolledAt: new Date().toISOString(),
    lastTimestamp: timestamp,
  });
  context.out(
    `Enrolled device ${serial} for ${JSON.stringify(username)} at ${JSON.stringify(tenant)} (${server}).\n`,
  );
  return ExitCode.done;
}
