/**
 * Settings that `npm run test:compose` sets to values other than their defaults (as a user's .env would), and
 * that the Compose suite then finds in the containers that read them.
 */
export const SETTINGS_REACHING_CONTAINERS = {
  LISTEN_BACKLOG: "2048",
  REDIS_REQUESTS_TIMEOUT_MS: "4000",
  BROADCAST_REQUEST_TIMEOUT_MS: "9000",
  BROADCAST_BODY_LIMIT: "60000",
} as const;
