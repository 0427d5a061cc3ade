'use strict';
// 16. 2,000 connections held open at the same time.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, withTimeout, echoServer, readExactly,
} = require('./helpers');

const N = 2000;
const BATCH = 100;

describe('concurrency: 2,000 connections held open', function () {
  const track = useCleanup();

  it('opens 2,000 connections in batches of 100, echoes one byte on each, closes all', async function () {
    this.timeout(600000);
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }));
    const echo = echoServer(listener);
    track(() => echo.close());
    const { port } = listener.address();

    const clients = [];
    track(async () => { await Promise.all(clients.map((c) => c.close().catch(() => {}))); });
    const deadline = Date.now() + 400000;
    for (let start = 0; start < N; start += BATCH) {
      assert.ok(Date.now() < deadline, `still connecting at ${start} after the deadline`);
      await withTimeout(Promise.all(Array.from({ length: BATCH },
        () => afd.AfdSocket.connect({ host: '127.0.0.1', port }).then((c) => { clients.push(c); }))),
      120000, `connect batch at ${start}`);
    }
    assert.equal(clients.length, N);
    // wait until the server side has accepted all of them (bounded)
    for (let i = 0; i < 600 && echo.accepted < N; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(echo.accepted, N, 'accepted connections');
    assert.equal(echo.sockets.size, N, 'all server sockets still open');
    assert.equal(new Set(clients.map((c) => c.address().port)).size, N, 'distinct local ports');

    // one byte each way on every connection, all at once
    const got = await withTimeout(Promise.all(clients.map(async (c, i) => {
      const b = Buffer.from([i & 0xff]);
      await c.write(b);
      const r = await readExactly(c, 1);
      return r[0] === (i & 0xff);
    })), 180000, 'one-byte echo on 2,000 connections');
    assert.equal(got.filter(Boolean).length, N);

    await withTimeout(Promise.all(clients.map((c) => c.close())), 120000, 'closing 2,000 sockets');
    for (let i = 0; i < 600 && echo.sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(echo.sockets.size, 0, 'server saw every connection end');
    assert.deepEqual(echo.errors, []);
  });
});
