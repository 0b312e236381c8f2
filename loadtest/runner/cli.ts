/**
 * npm run loadtest -- <scenario> [--url http://127.0.0.1:3000] [--scale 0.1] [--max-seconds 60]
 *                     [--prometheus http://127.0.0.1:9090] [--expect-alerts A,B | --expect-no-alerts] [--out dir]
 * ADMIN_TOKEN is the service's admin token; unset, the token a development instance started from this
 * directory generated (DATA_DIR/admin-token) is used. Exits 1 when a threshold, the client/server
 * comparison or an alert expectation fails. Sends traffic only where --url points (loopback by default).
 */
import { parseArgs } from "node:util";
import { localAdminToken } from "../../src/platform/http/admin-token.ts";
import { runScenario } from "./run.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string", default: process.env.BASE_URL ?? "http://127.0.0.1:3000" },
    scale: { type: "string", default: "1" },
    "max-seconds": { type: "string" },
    prometheus: { type: "string" },
    "expect-alerts": { type: "string" },
    "expect-no-alerts": { type: "boolean", default: false },
    out: { type: "string", default: "loadtest/results" },
  },
});
const scenario = positionals[0] ?? "smoke";
const adminToken = await localAdminToken(process.env);
if (!adminToken) {
  process.stderr.write(
    "Set ADMIN_TOKEN to the service's admin token (an instance started here with `npm start` keeps one in ./data/admin-token)\n",
  );
  process.exit(2);
}
const result = await runScenario(scenario, {
  baseUrl: values.url,
  adminToken,
  scale: Number(values.scale),
  maxSeconds: values["max-seconds"] ? Number(values["max-seconds"]) : undefined,
  prometheusUrl: values.prometheus,
  outDir: values.out,
});
process.stdout.write(`${result.summary}\n`);
const failures = [
  ...result.thresholds.filter((t) => !t.ok).map((t) => `threshold ${t.name} ${t.limit}`),
  ...result.comparisons.flatMap((c) => c.problems.map((p) => `${c.route}: ${p}`)),
];
const expected = values["expect-alerts"]?.split(",").filter(Boolean) ?? [];
for (const alert of expected)
  if (!result.firingAlerts?.includes(alert)) failures.push(`alert ${alert} is not firing`);
if (values["expect-no-alerts"]) {
  const unexpected = (result.firingAlerts ?? []).filter((a) => a !== "Watchdog");
  if (unexpected.length > 0) failures.push(`alerts firing: ${unexpected.join(", ")}`);
}
if (failures.length > 0) {
  process.stderr.write(`\nFAILED:\n  ${failures.join("\n  ")}\n`);
  process.exit(1);
}
