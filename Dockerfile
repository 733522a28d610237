# syntax=docker/dockerfile:1
#
# Portcullis image:  docker build -t portcullis .
#   docker run --rm -p 9191:9191 -v "$PWD/examples/policies:/etc/portcullis/policies:ro" portcullis
#
# No HEALTHCHECK: Docker's check runs a command inside the image, and the health that matters is
# gRPC (grpc.health.v1.Health), for which the image ships no client. Envoy checks it instead: its
# `portcullis` cluster runs an active gRPC health check for envoy.service.auth.v3.Authorization (see
# envoy/forward-proxy.yaml) and sends Checks only to replicas answering SERVING. Kubernetes can use a
# `grpc:` probe on port 9191.

# Node 24, an LTS line that .ci/run tests on (package.json `engines` lists every supported line). The
# build and runtime stages must use the same Node major: the native addons are compiled for it.
# ---- build: compiler toolchain, dev dependencies, TypeScript ----
FROM node:24-bookworm AS build
# re2 and better-sqlite3 are native addons: when no prebuilt binary matches, node-gyp compiles them,
# which needs these.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so source edits reuse the cached `npm ci` layer. `npm ci` installs exactly
# package-lock.json and fails if it is out of step with package.json.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
    && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: Node and what the CLI loads, nothing else ----
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# A fixed, unprivileged uid/gid, so volume permissions and Kubernetes runAsUser can name it.
RUN groupadd --system --gid 10001 portcullis \
    && useradd --system --uid 10001 --gid portcullis --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin portcullis \
    && mkdir -p /etc/portcullis/policies /var/lib/portcullis \
    && chown 10001:10001 /var/lib/portcullis
# package.json is read at run time: it marks the package root where protos/ is found.
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY protos ./protos
COPY examples ./examples
# The admin store (SQLite: admin-managed policy, tokens, events) lives here; mount a volume to keep it.
ENV PORTCULLIS_DATA_DIR=/var/lib/portcullis
VOLUME /var/lib/portcullis
USER 10001:10001
# 9191 gRPC (ext_authz Check, health) · 8443 admin API · 5353 DNS (UDP and TCP)
EXPOSE 9191 8443 5353/udp 5353/tcp
ENTRYPOINT ["node", "--max-semi-space-size=32", "dist/src/cli/main.js"]
# Policies are mounted at /etc/portcullis/policies (a file or a directory tree, reloaded on change).
# The admin server listens on the container's loopback unless --admin-address 0.0.0.0 is added.
CMD ["serve", "--policy", "/etc/portcullis/policies", "--grpc-address", "0.0.0.0"]
