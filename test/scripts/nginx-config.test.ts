import assert from "node:assert/strict";
import { test } from "node:test";
import { proxyTimeoutSeconds, renderMainConfig, renderNginxConfig } from "../../scripts/nginx-config.js";

const base = { listen: "127.0.0.1:8080", upstreams: ["10.0.0.1:3000", "10.0.0.2:3000"] };

test("ip_hash by default, every replica listed without failure accounting", () => {
  const conf = renderNginxConfig(base);
  assert.match(conf, /upstream socketio_replicas \{[^}]*\n {4}ip_hash;/);
  assert.match(conf, /server 10\.0\.0\.1:3000 max_fails=0;\n {4}server 10\.0\.0\.2:3000 max_fails=0;/);
  assert.match(conf, /listen 127\.0\.0\.1:8080 backlog=4096;/);
  assert.doesNotMatch(conf, /\$\{/, "a placeholder was left");
});

test("hash balancing uses the whole client address", () => {
  assert.match(renderNginxConfig({ ...base, balance: "hash" }), /\n {4}hash \$remote_addr consistent;/);
});

test("WebSocket upgrade, no upstream keep-alive, nginx variables untouched", () => {
  const conf = renderNginxConfig(base);
  assert.match(conf, /map \$http_upgrade \$connection_upgrade \{\s*default upgrade;\s*'' {6}close;/);
  assert.match(conf, /proxy_set_header Connection \$connection_upgrade;/);
  assert.match(conf, /proxy_http_version 1\.1;/);
  assert.match(conf, /X-Forwarded-For \$proxy_add_x_forwarded_for/);
  assert.doesNotMatch(conf, /^\s*keepalive\s/m);
  assert.match(conf, /server_tokens off;/);
  assert.match(conf, /location = \/healthz/);
});

test("hostile input is refused at the edge: handshake floods, upgrades with a body, internal endpoints", () => {
  const conf = renderNginxConfig({ ...base, handshakeRate: 7, handshakeBurst: 70 });
  assert.match(conf, /limit_req_zone \$handshake_key zone=handshakes:10m rate=7r\/s;/);
  assert.match(conf, /limit_req zone=handshakes burst=70 nodelay;/);
  // Only requests to /socket.io/ without a sid are counted.
  assert.match(
    conf,
    /map "\$uri:\$arg_sid" \$handshake_key \{\s*"\/socket\.io\/:" \$binary_remote_addr;\s*default\s+"";/,
  );
  assert.match(conf, /if \(\$upgrade_with_body\) \{\s*return 418;/);
  assert.match(conf, /location ~ \^\/\(readyz\|metrics\)\$ \{[^}]*return 404/);
  assert.match(renderNginxConfig(base), /rate=20r\/s;[\s\S]*burst=200 nodelay;/);
});

test("proxy timeouts follow the ping settings", () => {
  assert.equal(proxyTimeoutSeconds(25_000, 20_000), 55);
  assert.match(renderNginxConfig(base), /proxy_read_timeout 55s;/);
  const conf = renderNginxConfig({ ...base, pingIntervalMs: 60_000, pingTimeoutMs: 30_500 });
  assert.match(conf, /proxy_read_timeout 101s;/);
  assert.match(conf, /proxy_send_timeout 101s;/);
});

test("refuses an empty upstream list", () => {
  assert.throws(() => renderNginxConfig({ ...base, upstreams: [] }), /at least one upstream/);
});

test("security headers, and a body limit derived from MAX_HTTP_BUFFER_SIZE", () => {
  const conf = renderNginxConfig(base);
  for (const header of ["X-Content-Type-Options nosniff", "X-Frame-Options DENY", "Referrer-Policy no-referrer"]) {
    assert.match(conf, new RegExp(`add_header ${header} always;`));
  }
  assert.match(conf, /client_max_body_size 1041k;/);
  assert.match(renderNginxConfig({ ...base, maxHttpBufferSize: 10_000_000 }), /client_max_body_size 9830k;/);
});

test("the main config lifts nginx's 1024 connections per worker, with descriptors to match", () => {
  const compose = renderMainConfig({ siteConfigPath: "/etc/nginx/socketio/socketio.conf", user: "nginx" });
  assert.match(compose, /^user nginx;$/m);
  assert.match(compose, /worker_processes auto;/);
  assert.match(compose, /worker_connections 16384;/);
  assert.match(compose, /worker_rlimit_nofile 33792;/);
  // A reload leaves WebSockets on the old workers for 10 minutes, not seconds (stops use SIGTERM instead).
  assert.match(compose, /worker_shutdown_timeout 600s;/);
  assert.match(compose, /client_body_temp_path \/var\/cache\/nginx\/client_body;/);
  assert.match(compose, /include \/etc\/nginx\/socketio\/socketio\.conf;/);
  const stack = renderMainConfig({
    siteConfigPath: "/tmp/s/socketio.conf",
    workerProcesses: 1,
    dir: "/tmp/s",
    raiseNofile: false,
  });
  assert.match(stack, /pid \/tmp\/s\/nginx\.pid;/);
  assert.match(stack, /proxy_temp_path \/tmp\/s\/proxy;/);
  assert.doesNotMatch(stack, /worker_rlimit_nofile|^user /m);
  // Never past the hard limit nginx runs under (a worker that switched user cannot exceed it: an [alert]).
  assert.match(renderMainConfig({ siteConfigPath: "/x", maxNofile: 20_000 }), /worker_rlimit_nofile 20000;/);
});
