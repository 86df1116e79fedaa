# The Laneway control plane (and the demo services, which share the image in docker-compose),
# compiled JavaScript run by plain node as a non-root user. Two stages: `build` installs every
# dependency, generates the Envoy protobuf code and compiles to dist/; the final image gets dist/
# and production dependencies only (no TypeScript sources, tests, bench results or tsx).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
# npm ci also runs `prepare`, which generates the Envoy protobuf code from the npm-shipped protos.
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY control-plane ./control-plane
COPY deploy/demo ./deploy/demo
RUN npm run build
# Production dependencies only; --ignore-scripts: `prepare` needs the dev dependencies.
RUN npm ci --omit=dev --ignore-scripts

FROM node:20-bookworm-slim
ENV NODE_ENV=production LANEWAY_HOST=0.0.0.0 LANEWAY_DATA_DIR=/data
WORKDIR /app
# package.json: its "type": "module" makes node load dist/**/*.js as ES modules.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The injected pods' capture init container runs this image as root with NET_ADMIN: the script and
# iptables (deploy/capture/laneway-capture.sh; docs/kubernetes.md, "Transparent capture").
COPY deploy/capture/laneway-capture.sh ./deploy/capture/laneway-capture.sh
# The store's directory, owned by the user the control plane runs as (a new named volume mounted
# here takes this owner).
RUN apt-get update && apt-get install -y --no-install-recommends iptables && rm -rf /var/lib/apt/lists/* \
  && mkdir /data && chown node:node /data
# The node image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 18000
ENTRYPOINT ["node", "--enable-source-maps", "dist/control-plane/src/main.js"]
