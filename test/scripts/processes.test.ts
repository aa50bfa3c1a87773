import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { ephemeralPortStart, freePort } from "../../scripts/processes.js";

const listen = (port: number) =>
  new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });

test("freePort: below the ephemeral range, where no outgoing connection can take the port before it is bound", async () => {
  const low = ephemeralPortStart();
  const ports = await Promise.all(Array.from({ length: 50 }, () => freePort()));
  for (const port of ports) assert.ok(port >= 1024 && port < low, `${port} is not below ${low}`);
  assert.equal(new Set(ports).size, ports.length, "one port handed out twice");
  // Each one can be listened on (and all at once: none is another's).
  const servers = await Promise.all(ports.map(listen));
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});
