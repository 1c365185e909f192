/** One server-sent event (comments and retry lines are dropped). */
export interface ServerEvent {
  readonly event: string;
  readonly data: string;
}

/** A line longer than this ends the stream: a server that never ends a line cannot fill the memory. */
export const MAX_LINE_LENGTH = 1 << 20;

/**
 * The events of a text/event-stream body (WHATWG HTML, "Server-sent events"), as they arrive: the
 * app needs no EventSource, which cannot sign its request's headers.
 */
export async function* serverEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.search(/\r\n|\r|\n/);
    // A CR that ends the chunk may be the first half of a CRLF: wait for the next chunk.
    while (newline >= 0 && !(newline === buffer.length - 1 && buffer.endsWith("\r"))) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (data.length > 0) yield { event, data: data.join("\n") };
        event = "message";
        data = [];
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      newline = buffer.search(/\r\n|\r|\n/);
    }
    if (buffer.length > MAX_LINE_LENGTH)
      throw new Error(`an event stream line longer than ${MAX_LINE_LENGTH} characters`);
  }
}
