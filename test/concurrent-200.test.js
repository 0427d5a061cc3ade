'use strict';
// 6. 200 concurrent connections to one AfdListener, each echoed.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, withTimeout, echoServer, readAll, randomBytes,
} = require('./helpers');

const N = 200;

describe('concurrency: 200 connections at once', function () {
  const track = useCleanup();

  it('echoes a distinct message on each of 200 concurrent connections', async function () {
    this.timeout(180000);
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0, backlog: 511 }));
    const echo = echoServer(listener);
    track(() => echo.close());
    const { port } = listener.address();

    const results = await withTimeout(Promise.all(Array.from({ length: N }, async (_, i) => {
      const sock = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port }));
      const msg = `connection ${i} ${randomBytes(6 + (i % 50)).toString('hex')}`;
      const local = sock.address().port;
      const reading = readAll(sock);
      await sock.write(msg);
      await sock.end();
      const got = (await reading).toString();
      await sock.close();
      return { msg, got, local };
    })), 170000, `${N} concurrent echoes`);

    for (const { msg, got } of results) assert.equal(got, msg);
    assert.equal(new Set(results.map((r) => r.msg)).size, N);
    assert.equal(new Set(results.map((r) => r.local)).size, N, 'distinct local ports');
    assert.equal(echo.accepted, N);
    assert.deepEqual(echo.errors, []);
  });
});
