# One image for every service of the shop; SERVICES picks what a container runs
# (SERVICES=payments, or SERVICES=orders,payments), as moleculer-runner reads it. Without SERVICES
# a container runs every service in one process, the card processor sandbox among them. The
# sandbox's own container (compose, k8s) runs its program instead of the CMD:
# `node dist/services/payment-sandbox/main.js`, on PAYMENT_SANDBOX_PORT (3100), with its own
# health check on /healthz (the HEALTHCHECK below is the nodes' /readyz).
# No "# syntax=" line: BuildKit's built-in Dockerfile frontend does all this file needs, and the
# line would make every build pull a frontend image from a registry.
#
# Behind a proxy that inspects TLS, npm trusts the proxy's CA when it is given as a build secret,
# which no layer keeps:  docker build --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt .
ARG NODE_IMAGE=node:22-bookworm-slim

# Production dependencies only, installed apart from the build so no compiler or test tool
# reaches the runtime image.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
    && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca,required=false \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi \
    && npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json moleculer.config.ts ./
COPY contracts contracts
COPY lib lib
COPY mixins mixins
COPY scripts scripts
COPY services services
COPY types types
RUN npm run build
# The storefront, after the server: build:web writes the OpenAPI document from the compiled route
# table, generates the app's API types from it, type-checks the app and bundles it with Vite into
# web/dist. Vite, Preact and TypeScript are devDependencies, so this happens here; the runtime
# stage takes web/dist alone. A change of web/ alone rebuilds from this layer on. (Prettier's
# settings: build:web formats the generated types as the tree has them.)
COPY .prettierrc.json ./
COPY web web
RUN npm run build:web

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    HOST=0.0.0.0 \
    PORT=3000 \
    HEALTH_PORT=3001 \
    SERVICEDIR=dist/services \
    DATA_DIR=/app/data \
    WEB_DIR=/app/web/dist \
    NODE_OPTIONS=--disable-warning=DEP0174
WORKDIR /app
# Code and dependencies belong to root and are read-only for the process; only the data
# directory (used when no MONGO_URI is given) is the node user's.
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
# The storefront's static files, which the gateway (SERVICES=api) reads into memory at start and
# serves at /; other nodes never read them, and they are small (about 100 kB with the admin console).
COPY --from=build /app/web/dist web/dist
COPY package.json ./
RUN mkdir -p /app/data && chown 1000:1000 /app/data
# The base image's "node" user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 3000 3001 3100
# Readiness, not mere liveness: compose's depends_on waits for a node that can do its work.
HEALTHCHECK --interval=10s --timeout=3s --start-period=40s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HEALTH_PORT+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# moleculer-runner stops the broker gracefully on SIGTERM: no new work, in-flight requests and
# Kafka messages finished, then exit (within the broker's 10 s shutdown timeout).
STOPSIGNAL SIGTERM
# AsyncLocalStorage on context frames rather than async hooks: see scripts/node-options.sh.
CMD ["node", "--experimental-async-context-frame", "node_modules/moleculer/bin/moleculer-runner.js", "--config", "dist/moleculer.config.js"]
