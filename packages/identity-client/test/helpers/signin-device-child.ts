import { IdentityClient } from "../../src/index.ts";

/**
 * A program of the device-grant test: `node signin-device-child.ts <issuer> <client id> <store dir>`
 * signs in with the device grant and no onDeviceCode (so the client prints the code to stderr),
 * then prints its result as one JSON line on stdout.
 */
const [issuer = "", clientId = "", storeDir = ""] = process.argv.slice(2);
const client = new IdentityClient();
const init = await client.init({ issuer, clientId, mode: "interactive", storeDir });
const result = init.status === 0 ? await client.signIn({ device: true, timeoutMs: 60_000 }) : init;
process.stdout.write(`${JSON.stringify({ status: result.status, message: result.message })}\n`);
client.close();
