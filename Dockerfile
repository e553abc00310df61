# Tributary from this repository: build the TypeScript, keep production dependencies only.
FROM node:22-bookworm-slim AS build
WORKDIR /app
# The Kafka client (optional dependency) builds its bundled librdkafka against OpenSSL and zlib.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends build-essential python3 libssl-dev zlib1g-dev >/dev/null
ENV CKJS_LINKING=dynamic npm_config_build_from_source=@confluentinc/kafka-javascript
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
# What the Kafka client's librdkafka links against at run time.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libssl3 ca-certificates >/dev/null && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
ENV TRIBUTARY_DATA_DIR=/var/lib/tributary
VOLUME /var/lib/tributary
EXPOSE 4318 4320 9092
ENTRYPOINT ["node", "dist/src/cli/bin.js"]
CMD ["start", "--config", "/app/deploy/tributary-compose.yaml"]
