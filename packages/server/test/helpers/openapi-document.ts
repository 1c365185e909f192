/** The parts of a served OpenAPI 3.1 document the tests read. */
export interface Media {
  readonly schema?: { readonly properties?: Record<string, unknown> };
  readonly example?: unknown;
  readonly examples?: Record<string, { readonly summary?: string; readonly value?: unknown }>;
}

export interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly security?: unknown;
  readonly parameters?: readonly {
    readonly in: string;
    readonly name: string;
    readonly description?: string;
  }[];
  readonly requestBody?: { readonly content?: Record<string, Media> };
  readonly responses?: Record<
    string,
    { readonly description?: string; readonly content?: Record<string, Media> }
  >;
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
}

/** Every operation of the document as `METHOD /path` (OpenAPI path form) with its object. */
export function operationsOf(doc: OpenApiDocument): { key: string; path: string; operation: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({
      key: `${method.toUpperCase()} ${path}`,
      path,
      operation,
    })),
  );
}

/** The document a real server serves: started on SQLite for the moment it takes to fetch it. */
export async function servedDocument(): Promise<OpenApiDocument> {
  const { startTestServer } = await import("./test-server.ts");
  const server = await startTestServer("sqlite");
  try {
    return (await (await fetch(`${server.url}/openapi.json`)).json()) as OpenApiDocument;
  } finally {
    await server.close();
  }
}
