// k6 run -e BASE_URL=http://127.0.0.1:3000 -e ADMIN_TOKEN=... loadtest/k6/spike.ts
import {
  compareViews,
  createFixture,
  type Fixture,
  journey,
  optionsFor,
  recordServerView,
} from "./journey.ts";

export const options = optionsFor("spike");
export const setup = createFixture;
export default (fixture: Fixture) => journey(fixture);
export const teardown = recordServerView;
export function handleSummary(data: { metrics: Record<string, { values: Record<string, number> }> }) {
  const problems = compareViews(data.metrics);
  const verdict = problems.length === 0 ? "client and server views agree" : problems.join("\n");
  return {
    stdout: `${verdict}\n`,
    "loadtest-spike-summary.json": JSON.stringify({ problems, metrics: data.metrics }, null, 2),
  };
}
