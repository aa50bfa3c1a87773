/**
 * Renders nginx/socketio.conf.template, the single source of the nginx config, for the local stack and
 * for Compose. The proxy timeouts are derived from the Socket.IO ping settings here, never set apart.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SETTINGS, type EnumValue } from "../services/shared/settings.js";

export const TEMPLATE_PATH = fileURLToPath(new URL("../../nginx/socketio.conf.template", import.meta.url));

/** `ip_hash` (default): first three octets of IPv4; `hash`: the whole client address, consistent hashing. */
export const NGINX_BALANCE_METHODS = {
  ip_hash: "ip_hash",
  hash: "hash $remote_addr consistent",
} as const satisfies Record<EnumValue<"NGINX_BALANCE">, string>;
export type NginxBalance = EnumValue<"NGINX_BALANCE">;

export interface NginxConfigOptions {
  /** `listen` argument, e.g. "127.0.0.1:8080" or "8080". */
  listen: string;
  /** Replica addresses, "host:port". */
  upstreams: readonly string[];
  /** @default "ip_hash" */
  balance?: NginxBalance;
  /** The servers' PING_INTERVAL_MS and PING_TIMEOUT_MS. @default 25000 and 20000 */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** The servers' MAX_HTTP_BUFFER_SIZE. @default 1000000 */
  maxHttpBufferSize?: number;
  /** A second `listen` serving only `/stub_status`, for the Prometheus nginx exporter. @default none */
  statusListen?: string;
  /** Said by nginx's own `/healthz`. @default "nginx" */
  instance?: string;
  /** New Engine.IO sessions per second per client address, sustained. @default 20 */
  handshakeRate?: number;
  /** New sessions one address may open at once (a NAT's users reconnecting together). @default 200 */
  handshakeBurst?: number;
}

export const DEFAULT_HANDSHAKE_RATE = SETTINGS.NGINX_HANDSHAKE_RATE.default;
export const DEFAULT_HANDSHAKE_BURST = SETTINGS.NGINX_HANDSHAKE_BURST.default;

/**
 * How long the workers a reload replaces keep serving the connections they hold (WebSockets, which never end
 * by themselves) before they close them: long, since a reload (scaling; every task change on Swarm) must not
 * cut clients, but bounded, so that many reloads do not leave workers lingering without end. nginx applies the
 * same timeout to a graceful stop (SIGQUIT), which is why Compose and the Swarm stack stop nginx with SIGTERM
 * (`stop_signal`): it closes every connection at once and exits 0
 * (https://nginx.org/en/docs/ngx_core_module.html#worker_shutdown_timeout,
 * https://nginx.org/en/docs/control.html).
 */
export const NGINX_OLD_WORKERS_TIMEOUT_SECONDS = 600;

/** This process's hard limit on open files (children inherit it), from /proc (Linux); undefined elsewhere. */
export function hardNofileLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const hard = line?.trim().split(/\s+/)[4];
    return hard && /^\d+$/.test(hard) ? Number(hard) : undefined;
  } catch {
    return undefined;
  }
}

/** pingInterval + pingTimeout, rounded up to seconds, plus a 10 s margin. */
export function proxyTimeoutSeconds(pingIntervalMs: number, pingTimeoutMs: number): number {
  return Math.ceil((pingIntervalMs + pingTimeoutMs) / 1000) + 10;
}

export function renderNginxConfig(options: NginxConfigOptions, template = readFileSync(TEMPLATE_PATH, "utf8")): string {
  if (options.upstreams.length === 0) throw new Error("nginx needs at least one upstream replica");
  const values: Record<string, string> = {
    NGINX_LISTEN: options.listen,
    NGINX_BALANCE: NGINX_BALANCE_METHODS[options.balance ?? SETTINGS.NGINX_BALANCE.default],
    NGINX_UPSTREAM_SERVERS: options.upstreams.map((address) => `    server ${address} max_fails=0;`).join("\n"),
    NGINX_PROXY_TIMEOUT: `${proxyTimeoutSeconds(
      options.pingIntervalMs ?? SETTINGS.PING_INTERVAL_MS.default,
      options.pingTimeoutMs ?? SETTINGS.PING_TIMEOUT_MS.default,
    )}s`,
    NGINX_CLIENT_MAX_BODY_SIZE: `${Math.ceil((options.maxHttpBufferSize ?? SETTINGS.MAX_HTTP_BUFFER_SIZE.default) / 1024) + 64}k`,
    NGINX_INSTANCE: options.instance ?? "nginx",
    NGINX_HANDSHAKE_RATE: String(options.handshakeRate ?? DEFAULT_HANDSHAKE_RATE),
    NGINX_HANDSHAKE_BURST: String(options.handshakeBurst ?? DEFAULT_HANDSHAKE_BURST),
    NGINX_STATUS_SERVER: options.statusListen ? statusServer(options.statusListen) : "",
  };
  return template.replace(/\$\{([A-Z_]+)\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`nginx template: no value for ${placeholder}`);
    return value;
  });
}

/** nginx's connection counts for the Prometheus exporter, on a port of their own (never the public one). */
function statusServer(listen: string): string {
  return [
    "# stub_status for the Prometheus nginx exporter (NGINX_STATUS_LISTEN): a port Compose never publishes.",
    "server {",
    `    listen ${listen};`,
    "    server_tokens off;",
    "    access_log off;",
    "    location = /stub_status {",
    "        stub_status;",
    "    }",
    "    location / {",
    "        return 404;",
    "    }",
    "}",
  ].join("\n");
}

export interface MainConfigOptions {
  /** The rendered site config (socketio.conf.template) to include in `http`. */
  siteConfigPath: string;
  /** @default "auto" (one per core) */
  workerProcesses?: number | "auto";
  /**
   * Connections per worker. Each proxied client holds two (client side and upstream side), and the stock
   * nginx.conf's 1024 would cap a whole deployment at about a thousand clients per worker.
   * @default 16384
   */
  workerConnections?: number;
  /** Where the pid file, temp folders and logs go (the local stack); unset: the pid in /var/run, logs to
   * stderr, temp folders in `tempDir`. */
  dir?: string;
  /** Temp folders when `dir` is unset; explicit, since images compile in different paths. @default "/var/cache/nginx" */
  tempDir?: string;
  /** The workers' user when started as root (Compose). */
  user?: string;
  /** Raise the workers' descriptor limit to what `workerConnections` needs (up to the hard limit).
   * @default true */
  raiseNofile?: boolean;
  /**
   * The hard limit on descriptors nginx will run under, when known: the raise stops there. Workers that switched
   * user cannot go past it, and asking for more logs `[alert] setrlimit(RLIMIT_NOFILE) failed` at every start.
   */
  maxNofile?: number;
  /** How long the workers a reload replaces keep their connections. @default 600 s */
  oldWorkersTimeoutSeconds?: number;
}

/**
 * The main nginx.conf around the site config, for the local stack (everything under `dir`) and for Compose
 * (the image's paths; its stock nginx.conf allows only 1024 connections per worker).
 */
export function renderMainConfig({
  siteConfigPath,
  workerProcesses = "auto",
  workerConnections = SETTINGS.NGINX_WORKER_CONNECTIONS.default,
  dir,
  tempDir = "/var/cache/nginx",
  user,
  raiseNofile = true,
  maxNofile = Infinity,
  oldWorkersTimeoutSeconds = NGINX_OLD_WORKERS_TIMEOUT_SECONDS,
}: MainConfigOptions): string {
  const temp = dir ?? tempDir;
  const paths = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((name) => `    ${name}_temp_path ${temp}/${name};\n`)
    .join("");
  const nofile = raiseNofile
    ? `# Enough descriptors for every connection a worker may hold.\nworker_rlimit_nofile ${Math.min(workerConnections * 2 + 1024, maxNofile)};\n`
    : "";
  return `# Generated by scripts/nginx-config.ts.
${user ? `user ${user};\n` : ""}worker_processes ${workerProcesses};
${nofile}pid ${dir ? `${dir}/nginx.pid` : "/var/run/nginx.pid"};
error_log ${dir ? `${dir}/error.log` : "stderr"} warn;
# After a reload, the old workers keep the connections they hold (WebSockets) this long, then close them.
# Stops use SIGTERM, which closes everything at once (a graceful SIGQUIT would wait this long too).
worker_shutdown_timeout ${oldWorkersTimeoutSeconds}s;
events {
    worker_connections ${workerConnections};
}
http {
    access_log off;
    server_tokens off;
${paths}    include ${siteConfigPath};
}
`;
}

/**
 * Writes `socketio.conf` (from `site`) and `nginx.conf` into `dir` for an nginx this process starts itself (the
 * local stack, the benchmark): pid, logs and temp folders in `dir`, and its descriptors raised as far as this
 * process's hard limit goes (nginx inherits it), no further. Returns the arguments that start it in the
 * foreground with them.
 */
export function writeLocalNginx(dir: string, site: NginxConfigOptions, workerProcesses: number): string[] {
  const nofile = hardNofileLimit();
  const mainPath = join(dir, "nginx.conf");
  writeFileSync(join(dir, "socketio.conf"), renderNginxConfig(site));
  writeFileSync(
    mainPath,
    renderMainConfig({
      siteConfigPath: join(dir, "socketio.conf"),
      workerProcesses,
      dir,
      ...(nofile === undefined ? { raiseNofile: false } : { maxNofile: nofile }),
    }),
  );
  return ["-p", dir, "-c", mainPath, "-g", "daemon off;"];
}
