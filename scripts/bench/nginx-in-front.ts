/**
 * The deployment's nginx, alone, in front of any server: the same site configuration (`ip_hash`, the same
 * proxy settings, handshake limits and timeouts) and the same main configuration as the local stack renders,
 * with the given upstreams. For `socket.io+nginx`: one Socket.IO process behind the proxy hop, the floor the
 * topology is measured against (issue 13 calls one proxy hop inherent; this measures it in the same run).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hardNofileLimit, renderMainConfig, renderNginxConfig } from "../nginx-config.js";
import { findBinary, freePort, pollUntil, startProcess, stopProcess } from "../processes.js";

export interface NginxInFront {
  /** Where clients connect. */
  url: string;
  /** nginx's master; its workers are its children. */
  pid: number;
  stop(): Promise<void>;
}

/** Starts nginx on a free loopback port, proxying to `upstreams` ("host:port"); resolves once it answers. */
export async function startNginxInFront(upstreams: readonly string[], workerProcesses: number): Promise<NginxInFront> {
  const bin = findBinary("nginx", "Debian/Ubuntu: apt-get install nginx-light; macOS: brew install nginx");
  const dir = mkdtempSync(join(tmpdir(), "socketio-bench-nginx-"));
  // Started as root, nginx runs its workers as `nobody`: they must reach its temp folders (as in stack.ts).
  chmodSync(dir, 0o755);
  const port = await freePort();
  const instance = `bench-${randomBytes(6).toString("hex")}`;
  const nofile = hardNofileLimit();
  writeFileSync(join(dir, "socketio.conf"), renderNginxConfig({ listen: `127.0.0.1:${port}`, upstreams, instance }));
  writeFileSync(
    join(dir, "nginx.conf"),
    renderMainConfig({
      siteConfigPath: join(dir, "socketio.conf"),
      workerProcesses,
      dir,
      ...(nofile === undefined ? { raiseNofile: false } : { maxNofile: nofile }),
    }),
  );
  const proc = startProcess(
    "nginx",
    bin,
    ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"],
    {},
    join(dir, "nginx.log"),
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await pollUntil(
      "nginx",
      async () => {
        const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
        return res.ok && ((await res.json()) as { instance?: string }).instance === instance;
      },
      { proc },
    );
  } catch (err) {
    await stopProcess(proc);
    throw err;
  }
  return {
    url,
    pid: proc.child.pid!,
    stop: async () => {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
