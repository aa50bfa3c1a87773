/**
 * Handshake authentication (AUTH_JWT_SECRET) on a clustered replica: no token, a forged or expired one, or one
 * without an expiry are refused with a clear connect_error; a valid one connects, and its `rooms` claim limits
 * what it may join.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { connectClient, request } from "../../../helpers/clients.js";
import { startReplica, type TestService } from "../../../helpers/services.js";

const SECRET = "a-test-secret-that-is-at-least-32-characters";

const sign = (claims: Record<string, unknown>, { secret = SECRET, expiresIn = "5m" } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .setIssuer("test-issuer")
    .sign(new TextEncoder().encode(secret));

describe("handshake authentication", () => {
  let replica: TestService;

  before(async () => {
    replica = await startReplica({ WORKERS: "2", AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: "test-issuer" });
  });
  after(async () => {
    await replica?.stop();
  });

  const refusal = async (auth?: Record<string, unknown>) => {
    const error = await connectClient(replica.url, { transport: "websocket", ...(auth ? { auth } : {}) }).then(
      ({ socket }) => {
        socket.disconnect();
        return undefined;
      },
      (err: Error) => err.message,
    );
    assert.ok(error, "the handshake should have been refused");
    return error;
  };

  test("no token, a forged one, an expired one, or one from another issuer: refused", async () => {
    assert.match(await refusal(), /unauthorized: missing auth\.token/);
    assert.match(await refusal({ token: "not.a.jwt" }), /unauthorized: invalid token/);
    assert.match(
      await refusal({ token: await sign({ sub: "mallory" }, { secret: "x".repeat(40) }) }),
      /unauthorized: invalid token/,
    );
    assert.match(
      await refusal({ token: await sign({ sub: "late" }, { expiresIn: "-1m" }) }),
      /unauthorized: invalid token/,
    );
    const foreign = await new SignJWT({ sub: "x" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("someone-else")
      .sign(new TextEncoder().encode(SECRET));
    assert.match(await refusal({ token: foreign }), /unauthorized: invalid token/);
    // Valid signature and issuer, but no `exp`: it would be good forever, whoever copied it.
    const forever = await new SignJWT({ sub: "forever" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt()
      .setIssuer("test-issuer")
      .sign(new TextEncoder().encode(SECRET));
    assert.match(await refusal({ token: forever }), /unauthorized: invalid token/);
  });

  test("a valid token connects; its rooms claim limits joins", async () => {
    const { socket, hello } = await connectClient(replica.url, {
      transport: "websocket",
      auth: { token: await sign({ sub: "alice", rooms: ["team-a"] }) },
    });
    try {
      assert.equal(hello.replica, "test-replica");
      assert.equal((await request(socket, "join", "team-a")).ok, true);
      assert.deepEqual(await request(socket, "join", "team-b"), { ok: false, error: 'not allowed to join "team-b"' });
    } finally {
      socket.disconnect();
    }
  });

  test("a token without a rooms claim may join any room", async () => {
    const { socket } = await connectClient(replica.url, { auth: { token: await sign({ sub: "bob" }) } });
    try {
      assert.equal((await request(socket, "join", "anything")).ok, true);
    } finally {
      socket.disconnect();
    }
  });
});
