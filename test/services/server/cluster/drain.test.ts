/**
 * Graceful drain of one replica with DRAIN_DELAY_MS, as behind a load balancer that polls /readyz: on
 * SIGTERM it answers /readyz 503 and refuses new sessions while its clients carry on, then closes their
 * sockets (they reconnect elsewhere) and exits 0.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { closeAll, connectClient, request } from "../../../helpers/clients.js";
import { pollUntil } from "../../../../scripts/processes.js";
import { startReplica } from "../../../helpers/services.js";
import { times, waitFor, within } from "../../../helpers/wait.js";
import type { Identity } from "../../../../services/shared/events.js";

test("SIGTERM with DRAIN_DELAY_MS: not ready, no new sessions, existing ones served, then closed; exit 0", async () => {
  const replica = await startReplica({ WORKERS: "2", DRAIN_DELAY_MS: "2000" });
  const clients = await times(4, () => connectClient(replica.url, { transport: "websocket" }));
  try {
    const disconnected = Promise.all(
      clients.map(({ socket }) =>
        waitFor(socket, "disconnect", { timeoutMs: 10_000, what: "disconnect at the end of the drain" }),
      ),
    );
    const exited = replica.stop();
    // The signal reaches the primary, which tells each worker over IPC: wait for that to have happened.
    await pollUntil(
      "the replica to report draining",
      async () => (await fetch(`${replica.url}/readyz`)).status === 503,
      {
        timeoutMs: 5_000,
      },
    );
    await pollUntil(
      "both workers to report draining",
      async () => {
        const answers = await Promise.all([0, 1, 2, 3].map(() => fetch(`${replica.url}/readyz`)));
        return answers.every((res) => res.status === 503);
      },
      { timeoutMs: 5_000 },
    );

    // Both workers report draining (round-robin alternates them).
    const reasons = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${replica.url}/readyz`);
      assert.equal(res.status, 503);
      reasons.add(((await res.json()) as { reason: string }).reason);
    }
    assert.deepEqual([...reasons], ["draining"]);

    const handshake = await fetch(`${replica.url}/socket.io/?EIO=4&transport=polling`);
    assert.equal(handshake.status, 403);
    assert.match(await handshake.text(), /server draining/);

    for (const { socket, hello } of clients) assert.deepEqual(await request<Identity>(socket, "whoami"), hello);

    await within(disconnected, 10_000, "clients disconnected");
    assert.equal(await within(exited, 15_000, "replica exit"), 0);
  } finally {
    closeAll(clients.map((c) => c.socket));
    await replica.stop();
  }
});
