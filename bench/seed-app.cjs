// The reference a user would otherwise pick, as the spec's seed code does it: Express, node-postgres,
// OpenTelemetry auto-instrumentation (http, express, pg) exporting OTLP, prom-client labelled by
// `req.route?.path || req.path`, winston JSON logs per request. Same route shape as the others.
// Prints its port as the first stdout line. CommonJS so the auto-instrumentation hooks see require().
const { NodeSDK } = require("@opentelemetry/sdk-node");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-proto");
const { HttpInstrumentation } = require("@opentelemetry/instrumentation-http");
const { ExpressInstrumentation } = require("@opentelemetry/instrumentation-express");
const { PgInstrumentation } = require("@opentelemetry/instrumentation-pg");

const sdk = new NodeSDK({
  serviceName: "fediflow-seed",
  traceExporter: new OTLPTraceExporter(),
  metricReaders: [],
  logRecordProcessors: [],
  instrumentations: [
    new HttpInstrumentation({
      requestHook: (span, request) => {
        span.setAttributes({
          "http.user_agent": request.headers?.["user-agent"],
          "http.tenant_id": request.headers?.["x-tenant-id"],
        });
      },
    }),
    new ExpressInstrumentation(),
    new PgInstrumentation(),
  ],
});
sdk.start();

const express = require("express");
const { Pool } = require("pg");
const prometheus = require("prom-client");
const winston = require("winston");

const httpRequestDuration = new prometheus.Histogram({
  name: "http_request_duration_seconds",
  help: "Duration of HTTP requests in seconds",
  labelNames: ["method", "route", "status_code"],
  buckets: [0.001, 0.01, 0.1, 1, 5, 10],
});
const logger = winston.createLogger({
  level: "info",
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  transports: [new winston.transports.Console()],
});

const pool = new Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: 10 });
const sessions = new Map([[process.env.BENCH_TOKEN, process.env.BENCH_TENANT_ID]]);
const app = express();
app.use((req, res, next) => {
  const start = Date.now();
  res.on("finish", () => {
    httpRequestDuration
      .labels(req.method, req.route?.path || req.path, res.statusCode)
      .observe((Date.now() - start) / 1000);
  });
  req.logger = logger.child({ tenantId: req.headers["x-tenant-id"], userAgent: req.headers["user-agent"] });
  next();
});
app.get("/api/v1/courses", async (req, res) => {
  const tenantId = sessions.get(req.headers.authorization?.slice(7));
  if (!tenantId) return res.status(401).json({ error: "unauthorized" });
  const { rows } = await pool.query(
    "select id, tenant_id, title, description, course_type, instructor_id, created_at, updated_at from courses where tenant_id = $1 order by id limit 21",
    [tenantId],
  );
  req.logger.info("GET /api/v1/courses");
  res.json({ items: rows.slice(0, 20), next_cursor: null });
});
app.get("/metrics", async (_req, res) => res.type("text/plain").send(await prometheus.register.metrics()));
const server = app.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
