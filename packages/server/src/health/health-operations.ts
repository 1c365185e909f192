import type { DomainOperations } from "../openapi/operation-docs.ts";

/** Documentation of health/health-routes.ts: probes for load balancers and orchestrators. */
export const healthOperations: DomainOperations = {
  tag: "operations",
  operations: {
    "GET /health": {
      summary: "Liveness probe",
      description:
        "Answers while the process runs, without touching the database: restart the process when it stops answering. No API key. Reads only; safe to repeat.",
      errors: [],
      public: true,
      response: { status: "ok" },
    },
    "GET /ready": {
      summary: "Readiness probe",
      description:
        "Answers 200 when the database is reachable and the server is not shutting down; ServiceUnavailable (503) from the moment a graceful shutdown begins (requests are still served while it drains), DatabaseError (503) without a database, SSOCertificateError (500) while the SSO signing keys are missing or unusable (the error names the key only in the server log). Send traffic only while it is 200. No API key. Reads only; safe to repeat.",
      errors: ["ServiceUnavailable", "DatabaseError", "SSOCertificateError"],
      public: true,
      response: { status: "ready" },
    },
  },
};
