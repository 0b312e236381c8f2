/**
 * The import rules of docs/architecture.md, checked by `npm run check` (dependency-cruiser parses the
 * TypeScript with swc; TypeScript 7 has no compiler API for it). Test files (`*.test.ts`) may import
 * anything; every other module under src/ follows these rules.
 */
const FEATURES = "(tenants|users|courses|content|activities|operations|federation)";
const NOT_TESTS = "\\.test\\.ts$";

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "No import cycles, type-only imports included.",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "platform-knows-no-feature",
      severity: "error",
      comment: "src/platform/ imports only the platform, src/config.ts and packages.",
      from: { path: "^src/platform/", pathNot: NOT_TESTS },
      to: { path: "^src/", pathNot: ["^src/platform/", "^src/config\\.ts$"] },
    },
    {
      name: "features-do-not-import-the-composition",
      severity: "error",
      comment:
        "Only main.ts, service.ts, app.ts (and startup-report.ts, main's summary) compose the service; " +
        "features never import them.",
      from: { path: `^src/${FEATURES}/`, pathNot: NOT_TESTS },
      to: { path: "^src/(main|service|app|startup-report)\\.ts$" },
    },
    {
      name: "other-features-stores-and-routes-are-private",
      severity: "error",
      comment:
        "A feature uses another feature through its service (or the ports it exports: auth, middleware, " +
        "schemas, rules), never its store or its routes.",
      from: { path: `^src/${FEATURES}/`, pathNot: NOT_TESTS },
      to: { path: `^src/${FEATURES}/[^/]*(store|routes)\\.ts$`, pathNot: "^src/$1/" },
    },
    {
      name: "routes-never-import-stores-or-sql",
      severity: "error",
      comment: "Routes parse, call one service function and serialise: no store, no database access.",
      from: { path: "(^|/)[^/]*routes\\.ts$|^src/federation/activitypub\\.ts$" },
      to: { path: ["[^/]*store\\.ts$", "^src/platform/db/", "(^|/)node_modules/postgres/"] },
    },
    {
      name: "only-platform-db-imports-postgres",
      severity: "error",
      comment: "postgres.js is wrapped once (traced-sql.ts); everything else gets `Sql` from platform/db.",
      from: { path: "^src/", pathNot: ["^src/platform/db/", NOT_TESTS] },
      to: { path: "(^|/)node_modules/postgres/" },
    },
    {
      name: "business-code-imports-only-the-otel-api",
      severity: "error",
      comment:
        "Only platform/telemetry (the preload, exporters, semconv names, tracing suppression) uses " +
        "OpenTelemetry packages other than @opentelemetry/api.",
      from: { path: "^src/", pathNot: ["^src/platform/telemetry/", NOT_TESTS] },
      to: { path: "(^|/)node_modules/@opentelemetry/(?!api/)" },
    },
    {
      name: "src-never-imports-tests",
      severity: "error",
      comment: "Test support and test files are never part of the service.",
      from: { path: "^src/", pathNot: NOT_TESTS },
      to: { path: ["^test/", NOT_TESTS] },
    },
  ],
  options: {
    parser: "swc",
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^test/(pipeline|alerting|federation|telemetry|proof|loadtest|runtime)/" },
    moduleSystems: ["es6"],
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
