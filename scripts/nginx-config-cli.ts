/**
 * Renders the nginx config from the environment, for Compose (the `nginx-config` service writes it into a
 * volume that nginx mounts) or by hand:
 *
 *   NGINX_UPSTREAMS=replica-1:3000,replica-2:3000 node dist/scripts/nginx-config-cli.js > socketio.conf
 *   node dist/scripts/nginx-config-cli.js --out-dir /app/nginx-conf      # nginx.conf + socketio.conf
 *
 * NGINX_LISTEN (default 80), NGINX_UPSTREAMS (required, comma-separated host:port), NGINX_BALANCE
 * (ip_hash | hash), and the servers' PING_INTERVAL_MS / PING_TIMEOUT_MS / MAX_HTTP_BUFFER_SIZE, from which the
 * timeouts and the body size limit follow; NGINX_WORKER_CONNECTIONS (16384); NGINX_HANDSHAKE_RATE (20) and
 * NGINX_HANDSHAKE_BURST (200), new sessions per second per client address and at once.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EnvReader } from "../services/shared/config.js";
import {
  DEFAULT_HANDSHAKE_BURST,
  DEFAULT_HANDSHAKE_RATE,
  hardNofileLimit,
  NGINX_BALANCE_METHODS,
  renderMainConfig,
  renderNginxConfig,
  type NginxBalance,
} from "./nginx-config.js";

const { values } = parseArgs({ options: { "out-dir": { type: "string" } } });
/** Where nginx sees the folder written here (docker-compose.yml mounts the volume there). */
const MOUNT_PATH = "/etc/nginx/socketio";
const read = new EnvReader(process.env);
const upstreams = read.list("NGINX_UPSTREAMS");
read.check(upstreams.length > 0, "NGINX_UPSTREAMS is required: comma-separated host:port of the replicas");
for (const upstream of upstreams) {
  read.check(/^[A-Za-z0-9_.-]+:\d+$/.test(upstream), `NGINX_UPSTREAMS entry "${upstream}" must be host:port`);
}
const options = {
  listen: read.string("NGINX_LISTEN", "80"),
  upstreams,
  balance: read.oneOf("NGINX_BALANCE", Object.keys(NGINX_BALANCE_METHODS) as NginxBalance[], "ip_hash"),
  pingIntervalMs: read.integer("PING_INTERVAL_MS", 25_000, { min: 1_000 }),
  pingTimeoutMs: read.integer("PING_TIMEOUT_MS", 20_000, { min: 1_000 }),
  maxHttpBufferSize: read.integer("MAX_HTTP_BUFFER_SIZE", 1_000_000, { min: 1_024 }),
  handshakeRate: read.integer("NGINX_HANDSHAKE_RATE", DEFAULT_HANDSHAKE_RATE, { min: 1, max: 1_000_000 }),
  handshakeBurst: read.integer("NGINX_HANDSHAKE_BURST", DEFAULT_HANDSHAKE_BURST, { min: 0, max: 1_000_000 }),
};
const workerConnections = read.integer("NGINX_WORKER_CONNECTIONS", 16_384, { min: 64, max: 1_000_000 });
try {
  read.assertValid();
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(78);
}
const config = renderNginxConfig(options);
const nofile = hardNofileLimit();
if (values["out-dir"]) {
  // Compose: the main nginx.conf (nginx runs with -c on it) and the site config it includes.
  const dir = values["out-dir"];
  writeFileSync(join(dir, "socketio.conf"), config);
  writeFileSync(
    join(dir, "nginx.conf"),
    renderMainConfig({
      siteConfigPath: join(MOUNT_PATH, "socketio.conf"),
      workerConnections,
      user: "nginx",
      // This container runs under the daemon's default limits, as nginx's does: ask nginx for no more
      // descriptors than that hard limit allows (more logged an [alert] at every start).
      ...(nofile === undefined ? {} : { maxNofile: nofile }),
    }),
  );
  process.stderr.write(`nginx config written to ${dir} (upstreams: ${upstreams.join(", ")})\n`);
} else {
  process.stdout.write(config);
}
