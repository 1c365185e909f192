import type { Connector } from "./connector.ts";
import { ofxConnector } from "./ofx-connector.ts";
import { sandboxBankConnector } from "./sandbox-bank-connector.ts";

/** Every connector, registered from this explicit list; a site names one by id. */
const connectors: readonly Connector[] = [sandboxBankConnector, ofxConnector];

const byId = new Map(connectors.map((c) => [c.id, c]));

export function connectorFor(id: string): Connector {
  const connector = byId.get(id);
  if (connector === undefined) throw new Error(`no connector ${id}`);
  return connector;
}

export const connectorIds = connectors.map((c) => c.id);
