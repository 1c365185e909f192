/**
 * A desktop-style program that embeds @tessera/identity-client: every process of it shares one
 * signed-in user. The first process opens the system browser to sign in; any later process (a
 * second window, a helper tool, a crash-restarted instance) finds the user signed in already.
 *
 *   node examples/desktop-app/app.ts --issuer <issuer> --client-id <client id> [--watch]
 *
 * With --watch it keeps running and reports sign-outs made by other processes of the program
 * (`tessera-login signout` in a terminal, for instance), the way a desktop window would grey out.
 */
import { parseArgs } from "node:util";
import { IdentityClient, IdentityStatusCode } from "@tessera/identity-client";

const { values } = parseArgs({
  options: {
    issuer: { type: "string" },
    "client-id": { type: "string" },
    "store-dir": { type: "string" },
    watch: { type: "boolean" },
  },
});
if (values.issuer === undefined || values["client-id"] === undefined) {
  console.error("usage: app.ts --issuer <issuer> --client-id <client id> [--store-dir <dir>] [--watch]");
  process.exit(2);
}

const client = new IdentityClient();
const init = await client.init({
  issuer: values.issuer,
  clientId: values["client-id"],
  mode: "interactive",
  ...(values["store-dir"] === undefined ? {} : { storeDir: values["store-dir"] }),
});
if (init.status !== IdentityStatusCode.Success) {
  console.error(`cannot start: ${init.message}`);
  process.exit(1);
}

/** The user as a person reads it: the name, else the e-mail address, else the subject. */
const who = (data: { displayName?: string; email?: string; subject: string } | undefined) =>
  data?.displayName ?? data?.email ?? data?.subject;

let session = await client.authenticationData();
if (session.status === IdentityStatusCode.Success || session.status === IdentityStatusCode.Offline) {
  console.log(`already signed in as ${who(session.value)}`);
} else {
  console.log("signing in through the browser…");
  const signIn = await client.signIn();
  if (signIn.status !== IdentityStatusCode.Success) {
    console.error(`sign-in failed: ${signIn.message}`);
    process.exit(1);
  }
  // authenticationData adds what the token answer alone does not carry (the userinfo profile).
  const signedIn = await client.authenticationData();
  session = signedIn.status === IdentityStatusCode.Success ? signedIn : signIn;
  console.log(`signed in as ${who(session.value)}`);
}
if (session.status === IdentityStatusCode.Offline) console.log("working offline");

if (values.watch === true) {
  client.on("signedOut", () => {
    console.log("signed out by another process of the program");
    client.close();
  });
  console.log("watching for sign-outs");
  // The watcher does not hold the process open (it is unref'd); this interval is the "window".
  const window = setInterval(() => undefined, 1 << 30);
  client.on("signedOut", () => clearInterval(window));
} else {
  client.close();
}
