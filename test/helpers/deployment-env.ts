/**
 * The settings `npm run test:compose` and `npm run test:swarm` deploy with, as a user's .env (or shell) would.
 */

/** What the suites need: ticks often enough to wait for, and limits their loops and streams stay under. */
export const SUITE_SETTINGS = {
  TICK_INTERVAL_MS: "200",
  // The round-trip loops send far more than a person would; the limiter has its own test.
  EVENT_RATE_LIMIT: "10000",
  EVENT_BURST: "10000",
  // The delivery tests publish 100 messages a second from one address.
  BROADCAST_RATE_LIMIT: "10000",
  BROADCAST_BURST: "10000",
} as const;

/**
 * Settings set to values other than their defaults, that the suites then find in the containers that read
 * them (they once did not reach them).
 */
export const SETTINGS_REACHING_CONTAINERS = {
  LISTEN_BACKLOG: "2048",
  REDIS_REQUESTS_TIMEOUT_MS: "4000",
  BROADCAST_REQUEST_TIMEOUT_MS: "9000",
  BROADCAST_BODY_LIMIT: "60000",
} as const;
