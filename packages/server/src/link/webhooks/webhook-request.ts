import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { checkedLookup } from "../../net/checked-lookup.ts";

/**
 * One delivery's HTTP POST over node:http(s) rather than fetch, because only there can the socket
 * be given the address-checking `lookup`. A fresh connection per delivery (no agent): a pooled
 * socket could outlive the check it was made under. Redirects are never followed (a 3xx is a
 * failed delivery): following one would send the signed payload to an address nobody checked.
 * Resolves with the HTTP status; the response body is not read.
 */
export function postWebhook(
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string | Buffer,
  options: { readonly allowPrivate: boolean; readonly timeoutMs: number },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        agent: false,
        lookup: checkedLookup(options.allowPrivate),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}
