import { ApiReturnCode, byName, type CodeInfo } from "@tessera/codes";
import { envelopeProperties } from "../app/envelope.ts";
import type { CodeName, OperationDoc } from "./operation-docs.ts";

type Schema = Record<string, unknown>;

/** The body of every refusal: the envelope, `field` where input is at fault, `lockedUntil` on locks. */
export const errorEnvelopeSchema = {
  type: "object",
  properties: {
    ...envelopeProperties,
    lockedUntil: {
      type: "string",
      format: "date-time",
      description: "a temporary lock's end (with Retry-After)",
    },
  },
  required: ["errorCode", "errorName", "errorMessage"],
} as const;

/** The catalog entry of a documented name; a name the catalog does not know stops the server. */
export function catalogCode(name: string, operation: string): CodeInfo {
  const info = byName("api", name);
  if (info === undefined || info.httpStatus === null)
    throw new Error(`the docs of ${operation} name ${name}, which is not an API code of the catalog`);
  return info;
}

const responseDescription = "x-response-description";
const line = (info: CodeInfo) => `- \`${info.name} (${info.value})\`: ${info.description}`;

function example(info: CodeInfo, payload: Readonly<Record<string, unknown>> = {}) {
  return {
    summary: `${info.value} ${info.name}`,
    description: info.description,
    value: { errorCode: info.value, errorName: info.name, errorMessage: info.description, ...payload },
  };
}

/** The route's response key an HTTP status belongs to: itself, or a range such as "2xx". */
function keyFor(responses: Record<string, Schema>, status: number): string | undefined {
  const exact = String(status);
  if (exact in responses) return exact;
  return Object.keys(responses).find((key) => key.toLowerCase() === `${exact[0]}xx`);
}

/**
 * The OpenAPI responses of one operation: the route's own success schemas with an example per
 * success code, and one response per HTTP status its refusals answer with, each listing its codes
 * and carrying the envelope schema and an example per code. Works on copies: the route's schemas
 * serialise real answers and are never changed.
 */
const success = byName("api", "Success") as CodeInfo;

export function documentedResponses(
  routeResponses: Readonly<Record<string, Schema>>,
  outcomes: readonly CodeInfo[],
  errors: readonly CodeInfo[],
  doc: OperationDoc,
): Record<string, Schema> {
  const responses: Record<string, Schema> = {};
  for (const [key, schema] of Object.entries(routeResponses)) responses[key] = { ...schema };
  const add = (key: string | undefined, status: number, group: readonly CodeInfo[]) => {
    const existing = key === undefined ? undefined : responses[key];
    // A refusal that carries data beside the envelope (SyncInProgress's running job) shows it.
    const payload = (info: CodeInfo) =>
      status < 300 ? doc.response : doc.errorPayloads?.[info.name as CodeName];
    const examples = Object.fromEntries(group.map((info) => [info.name, example(info, payload(info))]));
    const lines = group.map(line).join("\n");
    // @fastify/swagger makes `x-response-description` the response's description (a plain
    // `description` would be repeated inside the schema).
    const said = existing?.[responseDescription] as string | undefined;
    responses[key ?? String(status)] = {
      ...(existing ?? errorEnvelopeSchema),
      [responseDescription]: said === undefined ? lines : `${said}\n${lines}`,
      "x-examples": { ...(existing?.["x-examples"] as Schema | undefined), ...examples },
    };
  };
  const addOutcome = (key: string, info: CodeInfo) => {
    const existing = responses[key] ?? {};
    const value = {
      ...example(success, doc.response).value,
      outcome: { code: info.value, name: info.name, message: info.description },
    };
    const outcomeExample = {
      summary: `0 Success, outcome ${info.value} ${info.name}`,
      description: info.description,
      value,
    };
    responses[key] = {
      ...existing,
      [responseDescription]: `${existing[responseDescription] as string}\n- in \`outcome\`: ${line(info).slice(2)}`,
      "x-examples": { ...(existing["x-examples"] as Schema | undefined), [info.name]: outcomeExample },
    };
  };
  // Every success answers errorCode 0 with the route's own 2xx status (201 for a creation); a
  // published outcome (Provisioned, …) rides beside it in `outcome`. Refusals answer their catalog status.
  const published = outcomes.filter((info) => info.value !== ApiReturnCode.Success);
  for (const key of Object.keys(routeResponses).filter((k) => k.startsWith("2"))) {
    add(key, 200, [success]);
    for (const info of published) addOutcome(key, info);
  }
  const rest = errors;
  const byStatus = Map.groupBy(rest, (info) => info.httpStatus as number);
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b))
    add(keyFor(responses, status), status, group);
  if (doc.content !== undefined) {
    const { mediaType, example: text, description } = doc.content;
    responses["200"] = {
      description,
      content: { [mediaType]: { schema: { type: "string" }, example: text } },
    };
  }
  return responses;
}
