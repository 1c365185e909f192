import { createSocket, type Socket } from "node:dgram";
import { isIPv6 } from "node:net";
import type { FastifyBaseLogger } from "fastify";
import type { ServerContext } from "../../app/server-context.ts";
import { handleDatagram, type Port } from "./handle-packet.ts";

export interface RadiusListener {
  /** The bound authentication port (radius.port 0 picks one). */
  readonly port: number;
  /** The bound accounting port, undefined when accounting is off. */
  readonly accountingPort: number | undefined;
  /** Stops receiving, waits for the packets being answered, then closes the sockets. */
  close(): Promise<void>;
}

/**
 * The RADIUS listener of `tessera start` (radius.enabled): UDP on radius.host, IPv4 or IPv6 by the
 * address's family (`::` also receives IPv4 on a dual-stack host). Every datagram is handled on its
 * own; a failure is logged and the datagram dropped (the NAS retransmits), never a crash.
 */
export async function startRadiusListener(
  ctx: ServerContext,
  log: FastifyBaseLogger,
): Promise<RadiusListener> {
  const { host, port, accountingPort } = ctx.config.radius;
  const inFlight = new Set<Promise<void>>();
  let closing = false;
  const open = async (which: Port, wanted: number): Promise<Socket> => {
    const socket = createSocket({ type: isIPv6(host) ? "udp6" : "udp4", reuseAddr: false });
    socket.on("message", (datagram, from) => {
      if (closing) return;
      const send = (response: Buffer) => socket.send(response, from.port, from.address);
      const handled = handleDatagram({ ctx, log, port: which, datagram, from, send })
        .catch((error: unknown) => log.error({ err: error }, "RADIUS packet could not be answered"))
        .finally(() => inFlight.delete(handled));
      inFlight.add(handled);
    });
    socket.on("error", (error) => log.error({ err: error }, "RADIUS socket error"));
    await new Promise<void>((resolve, reject) => {
      const refused = (error: Error) => reject(bindError(error, which));
      socket.once("error", refused);
      socket.bind({ address: host, port: wanted }, () => {
        socket.off("error", refused);
        resolve();
      });
    });
    return socket;
  };
  const sockets: Socket[] = [await open("authentication", port)];
  try {
    if (accountingPort !== 0) sockets.push(await open("accounting", accountingPort));
  } catch (error) {
    for (const socket of sockets) socket.close();
    throw error;
  }
  const [authentication, accounting] = sockets;
  log.info(
    { host, port: authentication?.address().port, accountingPort: accounting?.address().port ?? null },
    "RADIUS listening",
  );
  return {
    port: (authentication as Socket).address().port,
    accountingPort: accounting?.address().port,
    async close() {
      closing = true;
      await Promise.all([...inFlight]);
      await Promise.all(
        sockets.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))),
      );
    },
  };
}

/** The setting behind each port, for the message when it cannot be bound. */
const portSetting: Record<Port, string> = {
  authentication: "radius.port (TESSERA_RADIUS_PORT)",
  accounting: "radius.accountingPort (TESSERA_RADIUS_ACCOUNTING_PORT; 0 turns accounting off)",
};

/** A bind failure that says which setting to change, as the HTTP port's does. */
function bindError(error: Error, which: Port): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return new Error(`${error.message}; another process listens there; set ${portSetting[which]}`, {
      cause: error,
    });
  if (code === "EADDRNOTAVAIL")
    return new Error(
      `${error.message}; radius.host (TESSERA_RADIUS_HOST) is not an address of this machine`,
      { cause: error },
    );
  return error;
}
