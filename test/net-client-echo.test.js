'use strict';
// 3. A node:net client against an AfdListener echo server.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, netConnect, netReadAll, echoServer, withTimeout, sha256, randomBytes, MiB,
} = require('./helpers');

describe('echo: node:net client -> AfdListener', function () {
  const track = useCleanup();

  it('echoes 1 MiB of random bytes exactly', async function () {
    this.timeout(120000);
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const echo = echoServer(listener);
    track(() => echo.close());

    const payload = randomBytes(1 * MiB);
    const client = track(await netConnect(listener.address().port));
    const got = netReadAll(client);
    // several writes of uneven size, then FIN
    let off = 0;
    for (const n of [1, 100, 65536, 300000, 7]) {
      client.write(payload.subarray(off, off + n));
      off += n;
    }
    client.end(payload.subarray(off));

    const echoed = await withTimeout(got, 90000, 'echo of 1 MiB');
    assert.equal(echoed.length, payload.length);
    assert.equal(sha256(echoed), sha256(payload));
    assert.deepEqual(echo.errors, []);
    assert.equal(echo.accepted, 1);
  });

  it('echoes several sequential connections on the same listener', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const echo = echoServer(listener);
    track(() => echo.close());
    for (let i = 0; i < 5; i++) {
      const client = track(await netConnect(listener.address().port));
      const got = netReadAll(client);
      const msg = `round ${i} ${randomBytes(8).toString('hex')}`;
      client.end(msg);
      assert.equal((await withTimeout(got, 10000, `echo round ${i}`)).toString(), msg);
    }
    assert.equal(echo.accepted, 5);
    assert.deepEqual(echo.errors, []);
  });
});
