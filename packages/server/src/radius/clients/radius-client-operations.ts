import type { DomainOperations } from "../../openapi/operation-docs.ts";

const client = {
  id: "5f0c3a9e-2b7d-4c1e-9a8f-6d5e4c3b2a10",
  name: "vpn-gateway-1",
  address: "192.0.2.10",
  requireMessageAuthenticator: true,
  createdAt: "2026-01-01T00:00:00.000Z",
};

/** Documentation of radius/clients/radius-client-routes.ts. */
export const radiusClientOperations: DomainOperations = {
  tag: "radius",
  operations: {
    "POST /v1/radius/clients": {
      fields: {
        "body.name": "a label for people (1–100 characters)",
        "body.address":
          "the source address (IPv4 or IPv6) or CIDR range the device's packets come from; an IPv4-mapped IPv6 source matches the IPv4 address. At most /8 (IPv4) or /32 (IPv6) wide, no host bits set; an IPv6 range may not cover the IPv4-mapped block ::ffff:0:0/96 (it would claim every IPv4 source)",
        "body.secret":
          "the shared secret, 16–128 printable ASCII characters without spaces: RFC 2865 §3 asks for at least 16 octets, since a shorter one falls to offline guessing from one captured exchange (and with it every password); sealed at rest and never shown again",
        "body.requireMessageAuthenticator":
          "true (the default): Access-Requests without a valid Message-Authenticator are dropped, the BlastRADIUS (CVE-2024-3596) mitigation. false only for legacy gear that cannot send it; the listener warns",
      },
      summary: "Add a RADIUS client",
      description:
        "Adds a device allowed to send RADIUS requests for the tenant. The most specific range matching a packet's source decides its client; the ranges of two tenants never overlap (RadiusClientAddressTaken), so a source identifies exactly one tenant. The secret is not returned.",
      errors: ["RadiusClientAddressTaken"],
      request: { name: "vpn-gateway-1", address: "192.0.2.10", secret: "k8Vq2rT9xLm4pZ7wNc3bHs6d" },
      response: { client },
    },
    "GET /v1/radius/clients": {
      summary: "List the RADIUS clients",
      description:
        "Lists the tenant's RADIUS clients, oldest first, without their secrets. Reads only; safe to repeat.",
      errors: [],
      response: { clients: [client], nextCursor: null },
    },
    "DELETE /v1/radius/clients/:id": {
      fields: { "params.id": "the client's id, as listed" },
      summary: "Remove a RADIUS client",
      description:
        "Removes the client: its next packet is dropped as from an unknown source. An unknown id, or another tenant's, is 404 NotFound.",
      errors: ["NotFound"],
      response: {},
    },
  },
};
