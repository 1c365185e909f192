import type { AddressInfo } from "node:net";
import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP load balancer on loopback: each new connection goes to the next target in turn, as a
 * deployment with several server processes behind one address would spread them. Used to put two
 * `tessera start` processes behind the one issuer URL the program knows.
 */
export interface Balancer {
  readonly url: string;
  targets: URL[];
  /** Connections sent to each target, by index. */
  readonly connections: number[];
  close(): Promise<void>;
}

export async function startBalancer(): Promise<Balancer> {
  const sockets = new Set<Socket>();
  let next = 0;
  const server = createServer((incoming) => {
    const index = next++ % Math.max(1, state.targets.length);
    const target = state.targets[index];
    if (target === undefined) return incoming.destroy();
    state.connections[index] = (state.connections[index] ?? 0) + 1;
    const outgoing = connect(Number(target.port), target.hostname);
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        incoming.destroy();
        outgoing.destroy();
      });
    }
    incoming.pipe(outgoing).pipe(incoming);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const state: Balancer = {
    url: `http://127.0.0.1:${port}`,
    targets: [],
    connections: [],
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
