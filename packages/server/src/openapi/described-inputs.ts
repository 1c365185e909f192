import type { FastifySchema } from "fastify";

type Schema = Record<string, unknown>;

/** The parts of a route schema an input lives in, by the prefix errors name it with. */
const parts = ["body", "querystring", "params"] as const;
type Part = (typeof parts)[number];

/**
 * A copy of `schema` with `description` on the property at `steps` ("users[]", "username"), or
 * undefined when the schema has no such property. `name[]` steps into an array's items.
 */
function describeAt(schema: Schema, steps: readonly string[], description: string): Schema | undefined {
  const [step, ...rest] = steps;
  if (step === undefined) return { ...schema, description };
  const name = step.replace(/\[\]$/, "");
  const properties = schema.properties as Record<string, Schema> | undefined;
  const child = properties?.[name];
  if (child === undefined) return undefined;
  let updated: Schema | undefined;
  if (step.endsWith("[]")) {
    const items = child.items as Schema | undefined;
    const described = items === undefined ? undefined : describeAt(items, rest, description);
    updated = described === undefined ? undefined : { ...child, items: described };
  } else updated = describeAt(child, rest, description);
  return updated === undefined ? undefined : { ...schema, properties: { ...properties, [name]: updated } };
}

/**
 * The route's input schemas with the descriptions of its docs file's `fields` merged in (copies:
 * the route's own schemas validate requests and are never changed). A field the route does not
 * have is a docs file out of step with its route, so it throws: the server refuses to start.
 */
export function describedInputs(
  key: string,
  schema: FastifySchema,
  fields: Readonly<Record<string, string>> = {},
): Partial<Record<Part, Schema>> {
  const described: Partial<Record<Part, Schema>> = {};
  for (const part of parts) {
    const own = schema[part] as Schema | undefined;
    if (own !== undefined) described[part] = own;
  }
  for (const [path, description] of Object.entries(fields)) {
    const [part, ...steps] = path.split(".");
    const own = parts.includes(part as Part) ? described[part as Part] : undefined;
    const updated = own === undefined ? undefined : describeAt(own, steps, description);
    if (updated === undefined)
      throw new Error(`the docs of ${key} describe ${path}, which is not an input of the route`);
    described[part as Part] = updated;
  }
  return described;
}
