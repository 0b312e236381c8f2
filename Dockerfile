# syntax=docker/dockerfile:1
# FediFlow API image: the `build` stage compiles src/ to plain JavaScript (npm run build: dist/), which
# Node runs without loading its TypeScript type stripper (~25 MB less resident memory); the `deps` stage
# installs the production dependencies from the lockfile; the runtime holds only those, package.json and
# dist/, and runs as the unprivileged `node` user.
#   docker build -t fediflow-api .        (compose.yaml builds it as the `app` service)
# The base image is pinned in .env (NODE_IMAGE) and passed by compose; the default here is the same.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# Lockfile install without install scripts, then the patches of patches/ (postgres.js: see the patch's
# header) applied by patch-package, then everything but the production dependencies removed.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npx patch-package \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX=2: glibc's malloc keeps at most two arenas instead of up to 8 per core for the threads
# (libuv pool, V8's GC helpers), ~10 MB less resident after load (docs/performance.md, "Phase 2, memory").
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json ./
COPY --from=build --chown=root:root /app/dist ./dist
# The embedded PGlite keeps its data here when DATABASE_URL is unset; the code is read-only.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# /livez: the process serves requests (readiness, /ready, is the orchestrator's business).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/livez`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# As `npm start` runs it, V8 flags included: semi-spaces of 8 MB and an old generation that grows by half
# after a major GC (V8's own factor goes up to 4x) bound RSS under load for some CPU (README, "Memory").
# V8 refuses --heap-growing-percent in NODE_OPTIONS: to change them, override the command (compose
# `command:`, Kubernetes `args:`).
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "--import", "./dist/platform/telemetry/instrumentation.js", "dist/main.js"]
