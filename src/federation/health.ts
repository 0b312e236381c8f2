import type { Check } from "../platform/health/checks.ts";

/** Known remote instances and how many of them are healthy (circuit closed). */
export type FederationHealthSource = () => Promise<{ healthy: number; total: number }>;

/** The spec's rule: ok when more than half of the known instances are healthy; none known is ok. */
export const federationCheck =
  (source: FederationHealthSource): Check =>
  async () => {
    const { healthy, total } = await source();
    return { status: total === 0 || healthy > total * 0.5 ? "ok" : "degraded", healthy, total };
  };
