'use strict';
// 18. A peer that resets the connection mid-transfer.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, withTimeout, netListen, assertSysError, settledState, randomBytes, KiB,
} = require('./helpers');

// Starts a node:net server that, once it has received at least `after`
// bytes, resets the connection (RST via SO_LINGER 0).
async function resettingServer(track, after) {
  let resolveReset;
  const didReset = new Promise((resolve) => { resolveReset = resolve; });
  const srv = await netListen({
    onConnection(sock) {
      let got = 0;
      sock.on('data', (d) => {
        got += d.length;
        if (got >= after && !sock.destroyed) {
          sock.resetAndDestroy();
          resolveReset(got);
        }
      });
    },
  });
  track(() => srv.close());
  return { port: srv.port, didReset };
}

const WRITE_ERRORS = ['ECONNRESET', 'EPIPE', 'ECONNABORTED'];

describe('connection reset by peer', function () {
  const track = useCleanup();

  it('a pending read rejects with ECONNRESET (syscall recv) when the peer resets', async function () {
    const { port, didReset } = await resettingServer(track, 1000);
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port }));
    const pending = client.read();
    assert.equal(await settledState(pending, 50), 'pending');
    await client.write(randomBytes(4 * KiB));
    await withTimeout(didReset, 10000, 'server reset');
    let err;
    await assert.rejects(withTimeout(pending, 20000, 'read after reset'), (e) => { err = e; return true; });
    assertSysError(err, { code: 'ECONNRESET', syscall: 'recv' });

    // later writes fail too, and close still works
    await assert.rejects(
      withTimeout((async () => {
        for (let i = 0; i < 1000; i++) await client.write(randomBytes(KiB));
      })(), 20000, 'write after reset'),
      (e) => {
        assert.ok(WRITE_ERRORS.includes(e.code), `write error code ${e.code}`);
        assert.equal(e.syscall, 'send');
        return true;
      },
    );
    await withTimeout(client.close(), 10000, 'close after reset');
  });

  it('a client that keeps writing gets an error (and no crash) once the peer resets', async function () {
    this.timeout(120000);
    const { port, didReset } = await resettingServer(track, 64 * KiB);
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port }));
    const reading = client.read().then((r) => { assert.equal(r, null, 'no data was sent by the peer'); return null; }, (e) => e);
    const chunk = randomBytes(64 * KiB);
    let writes = 0;
    const writeErr = await withTimeout((async () => {
      try {
        // bounded: 4096 x 64 KiB = 256 MiB, far more than any socket buffer
        for (; writes < 4096; writes++) await client.write(chunk);
      } catch (e) {
        return e;
      }
      return null;
    })(), 90000, 'writing until the reset is noticed');
    await withTimeout(didReset, 10000, 'server reset');
    assert.ok(writeErr, `all ${writes} writes succeeded after the peer reset`);
    assert.ok(WRITE_ERRORS.includes(writeErr.code), `write error code ${writeErr.code}`);
    assert.equal(writeErr.syscall, 'send');

    // The pending read settles too.  Which of the two operations reports the
    // reset first is a race (on Linux the pending socket error is consumed by
    // whichever syscall runs first; the other then sees EPIPE / end of
    // stream), but one of them must report ECONNRESET.
    const readErr = await withTimeout(reading, 20000, 'pending read');
    if (readErr !== null) {
      assert.ok(readErr instanceof Error, `read settled with ${readErr}`);
      assert.ok(['ECONNRESET', 'ECONNABORTED'].includes(readErr.code), `read error code ${readErr.code}`);
    }
    assert.ok(writeErr.code === 'ECONNRESET' || (readErr && readErr.code === 'ECONNRESET'),
      `nobody reported ECONNRESET (write: ${writeErr.code}, read: ${readErr && readErr.code})`);
    await withTimeout(client.close(), 10000, 'close after reset');
  });
});
