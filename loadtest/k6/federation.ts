// k6 run -e BASE_URL=http://127.0.0.1:3000 -e ADMIN_TOKEN=... loadtest/k6/federation.ts
// Every journey publishes a discussion, which fans out to the course's remote followers.
import { scenarioScript } from "./journey.ts";

const script = scenarioScript("federation", 1);
export const { options, setup, teardown, handleSummary } = script;
export default script.run;
