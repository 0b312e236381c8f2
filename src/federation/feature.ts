/**
 * Federation as the composition root sees it: `service.ts` loads this module with `import()` only when
 * FEDERATION_ENABLED is true, so a service without federation never loads Fedify (@fedify/fedify and
 * @fedify/vocab, ~30 MB resident at rest: docs/performance.md, "Phase 2, memory") nor the federation
 * modules built on it. Everything the composition needs of them comes through here (health.ts,
 * Fedify-free, reports "no instances" without federation); test/runtime/federation-off.test.ts proves
 * that nothing else pulls Fedify in.
 */
export { activityPubRoutes } from "./activitypub.ts";
export { createDeliveryQueue, createOutbox } from "./outbox.ts";
export { federationRoutes } from "./routes.ts";
export { createFederationService } from "./service.ts";
