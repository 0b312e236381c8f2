import { createSchool, type School } from "../support/api.ts";
import { type SpawnedServer, spawnServer } from "../support/spawn.ts";

/** The served OpenAPI document, as much of it as the boundary tests read. */
export interface OpenApiDocument {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface OpenApiOperation {
  summary?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, unknown>;
  security?: unknown[];
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  $ref?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minProperties?: number;
  default?: unknown;
}

export const HTTP_METHODS = ["get", "head", "post", "put", "patch", "delete", "options", "trace"] as const;

/**
 * The real service as a child process (on the run's runtime, FEDIFLOW_TEST_RUNTIME, else Node), with a
 * school whose admin, instructor and student are signed in.
 */
export async function startBoundaryServer(
  slug: string,
  env: Record<string, string> = {},
): Promise<{ server: SpawnedServer; school: School }> {
  const server = await spawnServer({
    env: { RATE_LIMIT_MAX: "1000000", ...env },
  });
  try {
    return { server, school: await createSchool(server.url, slug) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export async function fetchDocument(baseUrl: string): Promise<OpenApiDocument> {
  const response = await fetch(`${baseUrl}/api/v1/openapi.json`);
  if (!response.ok) throw new Error(`openapi.json: ${response.status}`);
  return (await response.json()) as OpenApiDocument;
}

/**
 * The absolute URL prefix of the document's paths, as a generated client computes it: the first
 * `servers` entry resolved against the document's own URL (OpenAPI 3.1 §4.8.5: relative server URLs
 * are relative to the document; no `servers` means `/`).
 */
export function serverBase(document: OpenApiDocument, documentUrl: string): string {
  const server = document.servers?.[0]?.url ?? "/";
  return new URL(server, documentUrl).href.replace(/\/$/, "");
}

/** Follows a local `$ref` (`#/components/schemas/Name`). */
export function resolve(document: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema?.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  return resolve(document, document.components?.schemas?.[name]);
}

export type AlertStatus = "firing" | "resolved";

export interface WebhookAlert {
  status: AlertStatus;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** One alert as Alertmanager (webhook payload v4) renders it: a firing alert's endsAt is Go's zero time. */
export function alert(
  fingerprint: string,
  status: AlertStatus,
  startsAt: string,
  endsAt = "2026-11-25T10:20:00Z",
): WebhookAlert {
  return {
    status,
    labels: { alertname: "HighErrorRate", severity: "critical", service: "fediflow-api", fp: fingerprint },
    annotations: { summary: "High error rate detected", runbook_url: "https://runbooks.example/high-error" },
    startsAt,
    endsAt: status === "firing" ? "0001-01-01T00:00:00Z" : endsAt,
    generatorURL: "http://prometheus:9090/graph?g0.expr=x",
    fingerprint,
  };
}

export function notification(alerts: WebhookAlert[]) {
  return {
    version: "4",
    groupKey: '{}/{}:{alertname="HighErrorRate"}',
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
    receiver: "web.hook",
    groupLabels: { alertname: "HighErrorRate" },
    commonLabels: { alertname: "HighErrorRate" },
    commonAnnotations: {},
    externalURL: "http://alertmanager:9093",
    alerts,
  };
}
