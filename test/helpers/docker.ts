/**
 * The docker CLI for the container suites (test/compose, test/swarm): `docker` for quick queries, and
 * `dockerLive` for operations that take a while inside a fault, so that the publisher and the clients, in the
 * same process, go on meanwhile (the synchronous call would freeze both, and nothing would be published during
 * the fault).
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";

export const docker = (...args: string[]): string => execFileSync("docker", args, { encoding: "utf8" }).trim();

export const dockerLive = async (...args: string[]): Promise<string> =>
  (await promisify(execFile)("docker", args)).stdout.trim();
