/**
 * Renders the nginx config from the environment, for Compose (the `nginx-config` service writes it into a
 * volume that nginx mounts) or by hand:
 *
 *   NGINX_UPSTREAMS=replica-1:3000,replica-2:3000 node dist/scripts/nginx-config-cli.js > socketio.conf
 *   node dist/scripts/nginx-config-cli.js --out-dir /app/nginx-conf      # nginx.conf + socketio.conf
 *
 * It reads the NGINX_* settings and the servers' PING_INTERVAL_MS / PING_TIMEOUT_MS / MAX_HTTP_BUFFER_SIZE, from
 * which the timeouts and the body size limit follow (declared in services/shared/settings.ts, listed in the
 * nginx table of docs/configuration.md).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EnvReader } from "../services/shared/config.js";
import { hardNofileLimit, renderMainConfig, renderNginxConfig } from "./nginx-config.js";

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
  listen: read.string("NGINX_LISTEN"),
  upstreams,
  balance: read.oneOf("NGINX_BALANCE"),
  pingIntervalMs: read.integer("PING_INTERVAL_MS"),
  pingTimeoutMs: read.integer("PING_TIMEOUT_MS"),
  maxHttpBufferSize: read.integer("MAX_HTTP_BUFFER_SIZE"),
  handshakeRate: read.integer("NGINX_HANDSHAKE_RATE"),
  handshakeBurst: read.integer("NGINX_HANDSHAKE_BURST"),
  statusListen: read.string("NGINX_STATUS_LISTEN"),
};
const workerConnections = read.integer("NGINX_WORKER_CONNECTIONS");
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
