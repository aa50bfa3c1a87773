# One image for both Node services: the replica (default CMD) and the broadcaster
# (command: ["node", "dist/services/broadcaster/main.js"]).

# Production dependencies only, from the lockfile.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Compile TypeScript (needs the dev dependencies).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.image.json tsconfig.web.json ./
COPY services ./services
COPY client ./client
COPY web ./web
COPY scripts/nginx-config.ts scripts/nginx-config-cli.ts ./scripts/
RUN npx tsc -p tsconfig.image.json && npx tsc -p tsconfig.web.json

# Runtime: no compiler, no dev dependencies, not root.
FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY nginx ./nginx
COPY web ./web
# Owned by `node` so that the nginx-config service can write into the named volume mounted here.
RUN mkdir -p /app/nginx-conf && chown node:node /app/nginx-conf
USER node
EXPOSE 3000 8081
CMD ["node", "dist/services/server/main.js"]
