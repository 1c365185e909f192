/**
 * A server-sent events client for tests: reads a streaming response and keeps every event and
 * comment line it saw, so a test can wait for one (with `until`) instead of sleeping.
 */
export interface EventStream {
  readonly status: number;
  readonly contentType: string;
  readonly events: { event: string; data: string }[];
  readonly comments: string[];
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

export async function openEventStream(url: string, headers: Record<string, string>): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: { event: string; data: string }[] = [];
  const comments: string[] = [];
  const read = async () => {
    if (response.body === null) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim());
            else if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, data: data.join("\n") });
          end = buffer.indexOf("\n\n");
        }
      }
    } catch {
      // Aborted by close().
    }
  };
  return {
    status: response.status,
    contentType: response.headers.get("content-type") ?? "",
    events,
    comments,
    ended: read(),
    close: () => controller.abort(),
  };
}
