'use strict';
// 10. close() with pending operations; async iteration of listeners and sockets.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, withTimeout, afdPair, netListen, netConnect, isClosedError, settledState, delay,
  readAll,
} = require('./helpers');

describe('close and async iteration', function () {
  const track = useCleanup();

  it('close() with a pending read: the read rejects with ERR_SOCKET_CLOSED, close resolves', async function () {
    const { client, server } = await afdPair(track);
    const pending = client.read();
    assert.equal(await settledState(pending, 100), 'pending', 'read settled with no data sent');
    const closing = client.close();
    await assert.rejects(withTimeout(pending, 10000, 'pending read'), isClosedError);
    await withTimeout(closing, 10000, 'close');
    // the peer sees the connection go away (EOF or reset), not a hang
    await withTimeout(server.read().catch((e) => e), 10000, 'peer notices close');
  });

  it('operations after close() reject with ERR_SOCKET_CLOSED and close() is idempotent', async function () {
    const { client } = await afdPair(track);
    await client.close();
    await assert.rejects(async () => client.read(), isClosedError);
    await assert.rejects(async () => client.write('x'), isClosedError);
    await withTimeout(client.close(), 5000, 'second close');
  });

  it('close() of a listener with a pending accept: the accept rejects with ERR_SOCKET_CLOSED', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const { port } = listener.address();
    const pending = listener.accept();
    assert.equal(await settledState(pending, 100), 'pending');
    await withTimeout(listener.close(), 10000, 'listener close');
    await assert.rejects(withTimeout(pending, 10000, 'pending accept'), isClosedError);
    await assert.rejects(async () => listener.accept(), isClosedError);
    // the port is really released: a new listener can bind it
    const again = track(await afd.AfdListener.listen({ host: '127.0.0.1', port }));
    assert.equal(again.address().port, port);
  });

  it('for await over a listener yields connections and ends when the listener is closed', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const { port } = listener.address();
    const accepted = [];
    let iterationError = null;
    const loop = (async () => {
      for await (const sock of listener) {
        track(sock);
        accepted.push(sock);
        if (accepted.length > 10) break; // bound: only 3 expected
      }
    })().catch((e) => { iterationError = e; });

    const clients = [];
    for (let i = 0; i < 3; i++) clients.push(track(await netConnect(port)));
    for (let i = 0; i < 100 && accepted.length < 3; i++) await delay(50);
    assert.equal(accepted.length, 3);
    const remotePorts = accepted.map((s) => s.remotePort).sort();
    assert.deepEqual(remotePorts, clients.map((c) => c.localPort).sort());

    assert.equal(await settledState(loop, 50), 'pending', 'iteration ended before close');
    await withTimeout(listener.close(), 10000, 'listener close with accepted sockets still open');
    await withTimeout(loop, 10000, 'for await over the listener to end');
    assert.equal(iterationError, null, `iteration threw: ${iterationError}`);
    assert.equal(accepted.length, 3);
  });

  it('for await over a socket yields the chunks and ends at EOF', async function () {
    const parts = ['first part|', 'second part|', 'third part'];
    const srv = await netListen({
      async onConnection(sock) {
        for (const p of parts) {
          sock.write(p);
          await delay(30);
        }
        sock.end();
      },
    });
    track(() => srv.close());
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: srv.port }));
    const chunks = [];
    await withTimeout((async () => {
      for await (const chunk of client) {
        assert.ok(Buffer.isBuffer(chunk));
        assert.ok(chunk.length > 0);
        chunks.push(chunk);
        if (chunks.length > 1000) throw new Error('too many chunks');
      }
    })(), 20000, 'for await over the socket');
    assert.equal(Buffer.concat(chunks).toString(), parts.join(''));
    // after the loop the stream is at EOF
    assert.equal(await client.read(), null);
  });

  it('close() discards nothing already written: peer receives data then EOF', async function () {
    const { client, server } = await afdPair(track);
    await client.write('last words');
    await client.close();
    assert.equal((await withTimeout(readAll(server), 10000, 'peer read')).toString(), 'last words');
  });

  it('close() with a write waiting for room: the write rejects with ERR_SOCKET_CLOSED and bytesWritten; the peer gets exactly those bytes, then EOF', async function () {
    this.timeout(60000);
    const { client, server } = await afdPair(track);
    const size = 32 * 1024 * 1024;
    const data = require('node:crypto').randomBytes(size);
    const writing = client.write(data);
    assert.equal(await settledState(writing, 100), 'pending', 'the write waits for room');
    const queued = client.write('never sent');
    await client.close();
    let err;
    await assert.rejects(withTimeout(writing, 10000, 'write'), (e) => { err = e; return isClosedError(e); });
    await assert.rejects(withTimeout(queued, 10000, 'queued write'), (e) => isClosedError(e) && e.bytesWritten === 0);
    assert.ok(err.bytesWritten > 0 && err.bytesWritten < size, `bytesWritten ${err.bytesWritten}`);
    const got = await withTimeout(readAll(server), 30000, 'peer reads to EOF');
    assert.equal(got.length, err.bytesWritten, 'the peer gets what the kernel took, no more, no less');
    assert.ok(got.equals(data.subarray(0, err.bytesWritten)));
  });
});
