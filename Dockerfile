# docker-dispatch: a worker that takes docker commands from RabbitMQ and runs them on a pool of Docker engines.
#
#   docker build -t docker-dispatch .
#   docker run --rm docker-dispatch [options] <dockerHost> <amqpUrl>
#
# The HTTP endpoint (metrics, /healthz, /readyz, status page) is on in the image: port 9100 on all the container's
# addresses (DOCKER_DISPATCH_HTTP_PORT, DOCKER_DISPATCH_HTTP_HOST), which the HEALTHCHECK uses. Publish it only where
# it should be seen (-p 127.0.0.1:9100:9100): it has no authentication.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript, then keep only the production dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# n.b. --ignore-scripts: `prepare` would build before the sources are here; the build runs below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime: node, the compiled worker, its schemas and status page; no compiler, no dev dependencies ----
FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DOCKER_DISPATCH_HTTP_PORT=9100 \
    DOCKER_DISPATCH_HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY web ./web
# The image's own unprivileged user (uid 1000). To use a mounted /var/run/docker.sock, add the socket's group:
# docker run --group-add "$(stat -c %g /var/run/docker.sock)" …
USER node
EXPOSE 9100
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.DOCKER_DISPATCH_HTTP_PORT || '9100') + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/app/bin/docker-dispatch"]
CMD ["--help"]
