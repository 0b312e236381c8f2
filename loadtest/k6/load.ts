// k6 run -e BASE_URL=http://127.0.0.1:3000 -e ADMIN_TOKEN=... loadtest/k6/load.ts
import { scenarioScript } from "./journey.ts";

const script = scenarioScript("load");
export const { options, setup, teardown, handleSummary } = script;
export default script.run;
