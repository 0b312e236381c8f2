// k6 run -e BASE_URL=... -e ADMIN_TOKEN=... loadtest/k6/federation.ts
// Every journey publishes a discussion, which the service records as a Create activity and fans out to
// the course's remote followers.
import {
  compareViews,
  createFixture,
  type Fixture,
  journey,
  optionsFor,
  recordServerView,
} from "./journey.ts";

export const options = optionsFor("federation");
export const setup = createFixture;
export default (fixture: Fixture) => journey(fixture, 1);
export const teardown = recordServerView;
export function handleSummary(data: { metrics: Record<string, { values: Record<string, number> }> }) {
  const problems = compareViews(data.metrics);
  const verdict = problems.length === 0 ? "client and server views agree" : problems.join("\n");
  return {
    stdout: `${verdict}\n`,
    "loadtest-federation-summary.json": JSON.stringify({ problems, metrics: data.metrics }, null, 2),
  };
}
