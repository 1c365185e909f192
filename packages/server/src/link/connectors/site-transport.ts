import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { CredentialStatus } from "@tessera/codes";
import { ConnectorFailure } from "./connector.ts";

/**
 * One HTTP exchange with a site over node:http(s) rather than fetch: only there can the socket be
 * given the address-checking `lookup` and a site's own CA. A fresh connection per request (no
 * agent), so no pooled socket outlives the check it was made under. The body is read in chunks
 * and the request destroyed as soon as it passes the cap: a site (or whoever answers in its
 * place) cannot make the server buffer more than link.maxResponseBytes. The signal (the step's
 * deadline, shutdown) destroys the socket in the middle of the headers or of the body alike.
 * Nothing is written before the connection is open: `beforeSend` runs then (after the lookup and
 * the connect, for https after the handshake), and when it throws the socket is destroyed before
 * a byte of the request (headers or body) left this process.
 */
export interface Exchange {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly lookup: LookupFunction | undefined;
  readonly ca: string[] | undefined;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  readonly beforeSend: (() => void) | undefined;
}

export interface Exchanged {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

const tooLarge = (maxBytes: number) =>
  new ConnectorFailure(
    CredentialStatus.Error,
    `the site's answer is larger than link.maxResponseBytes (${maxBytes} bytes); reading stopped there`,
  );

function headersOf(response: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = response.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // A header the Headers class will not hold is dropped: throwing here would be in an event handler.
    try {
      headers.append(raw[i] as string, raw[i + 1] as string);
    } catch {}
  }
  return headers;
}

export function exchange(request: Exchange): Promise<Exchanged> {
  return new Promise((resolve, reject) => {
    const send = request.url.protocol === "https:" ? httpsRequest : httpRequest;
    const body = request.body;
    const outgoing = send(
      request.url,
      {
        method: request.method,
        headers: {
          ...request.headers,
          ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
        },
        agent: false,
        ...(request.lookup === undefined ? {} : { lookup: request.lookup }),
        ...(request.ca === undefined ? {} : { ca: request.ca }),
        signal: request.signal,
      },
      (response) => {
        const fail = (error: Error) => {
          outgoing.destroy();
          reject(error);
        };
        const declared = Number(response.headers["content-length"] ?? 0);
        if (declared > request.maxBytes) return fail(tooLarge(request.maxBytes));
        const encoding = (response.headers["content-encoding"] ?? "identity").toLowerCase();
        // Only identity is asked for; a compressed body would dodge the cap when inflated.
        if (encoding !== "identity")
          return fail(
            new ConnectorFailure(CredentialStatus.Error, `the site sent a ${encoding} body unasked`),
          );
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxBytes) fail(tooLarge(request.maxBytes));
          else chunks.push(chunk);
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: headersOf(response),
            body: Buffer.concat(chunks),
          }),
        );
        response.on("error", reject);
        response.on("close", () => {
          if (!response.complete) reject(new Error("the answer was cut off"));
        });
      },
    );
    outgoing.on("error", reject);
    // node writes the headers only at the first write or end(): until then the socket carries
    // nothing of the request. agent: false, so the socket is always a fresh one, still connecting.
    outgoing.once("socket", (socket) => {
      socket.once(request.url.protocol === "https:" ? "secureConnect" : "connect", () => {
        try {
          request.beforeSend?.();
        } catch (error) {
          outgoing.destroy(error as Error);
          return;
        }
        outgoing.end(body);
      });
    });
  });
}
