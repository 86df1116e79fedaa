# The Laneway control plane (and the demo services, which share the image in docker-compose).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts ./scripts
# npm ci also runs `prepare`, which generates the Envoy protobuf code from the npm-shipped protos.
RUN npm ci
COPY . .
ENV LANEWAY_HOST=0.0.0.0 LANEWAY_DATA_DIR=/data
EXPOSE 8080 18000
ENTRYPOINT ["node", "--import", "tsx", "control-plane/src/main.ts"]
