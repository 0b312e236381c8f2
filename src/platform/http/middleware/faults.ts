import type { MiddlewareHandler } from "hono";
import type { PlatformEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

export interface FaultRule {
  /** Route template (as in metrics, e.g. `/api/v1/courses/:id`) or `*` for every API route. */
  route: string;
  /** Share of matching requests answered with `status` instead of being handled. */
  error_rate: number;
  status: number;
  /** Share of matching requests delayed by `delay_ms` before they are handled. */
  delay_rate: number;
  delay_ms: number;
}

/**
 * Operator-controlled failure and latency injection, so alerts can be exercised on a real deployment.
 * Rules live in memory and die with the process; the feature is off unless FAULT_INJECTION=true.
 */
export function createFaultInjector(random: () => number = Math.random) {
  let rules: FaultRule[] = [];

  const middleware: MiddlewareHandler<PlatformEnv> = async (c, next) => {
    if (rules.length === 0) return next();
    const route = c.req.routePath;
    const rule = rules.find((r) => r.route === "*" || r.route === route);
    if (rule) {
      if (rule.delay_ms > 0 && random() < rule.delay_rate) {
        await new Promise((resolve) => setTimeout(resolve, rule.delay_ms));
      }
      if (random() < rule.error_rate) {
        c.var.logger.warn("Injected fault {status} on {route}", { status: rule.status, route });
        throw new ApiError(rule.status as 500, "injected_fault", "Fault injected by an operator");
      }
    }
    return next();
  };

  return {
    middleware,
    list: (): readonly FaultRule[] => rules,
    replace(next: FaultRule[]): void {
      rules = next;
    },
  };
}

export type FaultInjector = ReturnType<typeof createFaultInjector>;
