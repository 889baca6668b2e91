# syntax=docker/dockerfile:1
# One Dockerfile for the lab's three Node images, selected with --target (docker-compose.yml does):
#   api         node services/api/dist/src/main.js         ports 8080 (HTTP), 9464 (watchdog metrics)
#   downstream  node services/downstream/dist/src/main.js  ports 8081 (HTTP), 9465 (watchdog metrics)
# main.js is the service's signal supervisor: it receives `docker stop`'s SIGTERM (from the init
# process compose adds with `init: true`), tells the service's stop-channel thread over an
# inherited pipe, which ends a blocking fault at once, and forwards the signal; the service
# (server.js, its child) then shuts down and the supervisor exits with its code. The exec form
# keeps a shell from standing between the signal and the supervisor.
#   lab         node packages/cli/dist/src/bin.js            the scenario runner, metrics on 9466
# The build stage compiles the whole workspace once; `pnpm deploy` then copies each package with
# only its production dependencies (workspace packages injected, dist included) into /deploy/<name>,
# and each final stage copies one of those onto a clean Node image, running as the `node` user.
# Each package lands at its repo path under /app, so code that finds files from the repo root
# (the CLI's reports/ and .lab/) works unchanged, and the commands are the ones used natively.

# The current Node LTS line (26, LTS since 2026-10-28). Override with --build-arg NODE_IMAGE=... to
# pin a patch release or a digest.
ARG NODE_IMAGE=node:26-trixie-slim

FROM ${NODE_IMAGE} AS build
# pnpm from npm, not corepack: corepack's signature check fails for current pnpm releases.
# Keep in step with scripts/bootstrap.sh.
ARG PNPM_VERSION=12.21.0
RUN npm install --global --no-audit --no-fund "pnpm@${PNPM_VERSION}" && npm cache clean --force
WORKDIR /repo
# Dependencies first, from the lockfile alone, so editing source does not refetch them.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --frozen-lockfile
COPY . .
RUN pnpm install --frozen-lockfile --offline \
 && pnpm build \
 && pnpm deploy --filter @runtime-lab/api --prod /deploy/api \
 && pnpm deploy --filter @runtime-lab/downstream --prod /deploy/downstream \
 && pnpm deploy --filter @runtime-lab/cli --prod /deploy/lab

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app

FROM runtime AS api
# Files stay root-owned: the service only reads them.
COPY --from=build /deploy/api /app/services/api
ENV HOST=0.0.0.0 PORT=8080 METRICS_HOST=0.0.0.0 METRICS_PORT=9464
EXPOSE 8080 9464
USER node
CMD ["node", "services/api/dist/src/main.js"]

FROM runtime AS downstream
COPY --from=build /deploy/downstream /app/services/downstream
ENV HOST=0.0.0.0 PORT=8081 METRICS_HOST=0.0.0.0 METRICS_PORT=9465
EXPOSE 8081 9465
USER node
CMD ["node", "services/downstream/dist/src/main.js"]

FROM runtime AS lab
COPY --from=build /deploy/lab /app/packages/cli
# `lab audit`'s default thresholds (and the template of `lab audit --init`), at their repo path:
# the auditor finds prometheus/thresholds.yml walking up from its own files, which pnpm deploy
# put under packages/cli/node_modules. .dockerignore lets this one file of prometheus/ through.
COPY --from=build /repo/prometheus/thresholds.yml /app/prometheus/thresholds.yml
# The runner writes reports/ (mounted from ./reports by docker-compose.yml) and state in .lab/.
RUN mkdir -p /app/reports /app/.lab && chown node:node /app/reports /app/.lab
EXPOSE 9466
USER node
ENTRYPOINT ["node", "packages/cli/dist/src/bin.js"]
CMD ["help"]
