import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { launchBrowser } from "./browser-launcher.ts";
import { CALLBACK_PATH, type HelperMessage, type PageKind, type ParentMessage } from "./helper-protocol.ts";
import { pageHeaders, resultPage } from "./result-page.ts";

/**
 * The sign-in helper process (RFC 8252 §7.3): listens on 127.0.0.1 at a free port, launches the
 * browser on the authorization URL, and waits for the redirect to /callback. The FIRST request to
 * /callback decides: with the expected state its query goes to the parent, which redeems the code
 * and answers with the page to show; with any other state it is unusable (fail closed: another
 * local program racing the browser ends the sign-in rather than steering it). Then the listener
 * closes, so a replayed redirect finds no one; the helper exits once the page is sent, or when
 * the parent goes away.
 */
const send = (message: HelperMessage, then?: () => void) => process.send?.(message, undefined, {}, then);
const digest = (text: string) => createHash("sha256").update(text).digest();
let expected: { state: Buffer; locale: string } | undefined;
let held: ServerResponse | undefined;
let decided = false;
let finishing = false;

const server = createServer((request, response) => {
  const url = new URL(request.url ?? "/", "http://127.0.0.1");
  if (decided || url.pathname !== CALLBACK_PATH || expected === undefined) {
    response.writeHead(404, pageHeaders).end(resultPage("failure", expected?.locale ?? "en"));
    return;
  }
  decided = true;
  server.close();
  const state = url.searchParams.get("state") ?? "";
  // Compared as digests in constant time: the state is the secret binding this redirect to us.
  if (request.method !== "GET" || !timingSafeEqual(digest(state), expected.state)) {
    const message =
      request.method !== "GET" ? "the redirect was not a GET" : "the redirect's state does not match";
    // The parent hears of it before the helper exits (finish ends the process).
    send({ type: "unusable", message }, () => finish(response, "failure"));
    return;
  }
  held = response;
  send({ type: "callback", query: url.search });
});

function finish(response: ServerResponse, page: PageKind) {
  finishing = true;
  // A browser that never reads the page does not keep the helper alive.
  setTimeout(() => process.exit(0), 10_000).unref();
  response.writeHead(200, pageHeaders).end(resultPage(page, expected?.locale ?? "en"), () => {
    server.closeAllConnections();
    process.exit(0);
  });
}

process.on("message", (message: ParentMessage) => {
  if (message.type === "open" && expected === undefined) {
    expected = { state: digest(message.state), locale: message.locale };
    void launchBrowser(message.argv).then((launched) => {
      if (!launched.ok && !decided) send({ type: "browserFailed", message: launched.message });
    });
  } else if (message.type === "outcome" && held !== undefined) finish(held, message.page);
});
// Without its parent the sign-in is over (nobody would redeem a code); a page being sent is finished first.
process.on("disconnect", () => {
  if (!finishing) process.exit(0);
});

server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address === null || typeof address === "string") process.exit(1);
  else send({ type: "listening", port: address.port });
});
