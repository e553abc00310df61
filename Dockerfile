# Tributary from this repository: build the TypeScript, keep production dependencies only.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
ENV TRIBUTARY_DATA_DIR=/var/lib/tributary
VOLUME /var/lib/tributary
EXPOSE 4318 4320
ENTRYPOINT ["node", "dist/src/cli/bin.js"]
CMD ["start", "--config", "/app/deploy/tributary-compose.yaml"]
