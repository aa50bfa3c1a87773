/**
 * The deployment's nginx, alone, in front of any server: the same site configuration (`ip_hash`, the same
 * proxy settings, handshake limits and timeouts) and the same main configuration as the local stack renders,
 * with the given upstreams. For `socket.io+nginx`: one Socket.IO process behind the proxy hop, the floor the
 * topology is measured against (issue 13 calls one proxy hop inherent; this measures it in the same run).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeLocalNginx } from "../nginx-config.js";
import { findBinary, freePort, httpJson, pollUntil, startProcess, stopProcess } from "../processes.js";

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
  const args = writeLocalNginx(dir, { listen: `127.0.0.1:${port}`, upstreams, instance }, workerProcesses);
  const proc = startProcess("nginx", bin, args, {}, join(dir, "nginx.log"));
  const url = `http://127.0.0.1:${port}`;
  try {
    await pollUntil("nginx", async () => (await httpJson(`${url}/healthz`))?.instance === instance, { proc });
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
