'use strict';
// 11. Cancellation through AbortSignal.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, withTimeout, afdPair, netListen, netConnect, isAbortError, settledState,
  captureTrace, readExactly, delay,
} = require('./helpers');

// ASSUMPTION (API): read() takes its options as the second argument,
// read(into?: Uint8Array, options?: { signal?: AbortSignal }).
function readWithSignal(sock, signal) {
  return sock.read(undefined, { signal });
}

describe('abort', function () {
  const track = useCleanup();

  it('listen with an already-aborted signal rejects with AbortError and issues no syscall', async function () {
    const trace = captureTrace();
    try {
      await assert.rejects(
        async () => track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0, signal: AbortSignal.abort() })),
        isAbortError,
      );
    } finally {
      trace.stop();
    }
    assert.deepEqual(trace.messages, []);
  });

  it('connect with an already-aborted signal rejects with AbortError and issues no syscall', async function () {
    const srv = await netListen();
    track(() => srv.close());
    const trace = captureTrace();
    try {
      await assert.rejects(
        async () => track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: srv.port, signal: AbortSignal.abort() })),
        isAbortError,
      );
    } finally {
      trace.stop();
    }
    assert.deepEqual(trace.messages, []);
    assert.equal(srv.sockets.size, 0, 'no connection reached the server');
  });

  it('accept with an already-aborted signal rejects with AbortError', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    await assert.rejects(async () => track(await listener.accept({ signal: AbortSignal.abort() })), isAbortError);
  });

  it('the abort reason does not change the AbortError shape', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const ac = new AbortController();
    const p = listener.accept({ signal: ac.signal });
    ac.abort(new Error('custom reason'));
    await assert.rejects(withTimeout(p, 10000, 'aborted accept'), isAbortError);
  });

  it('a pending accept aborted -> AbortError, and the listener still accepts afterwards', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const { port } = listener.address();
    const ac = new AbortController();
    const pending = listener.accept({ signal: ac.signal });
    assert.equal(await settledState(pending, 100), 'pending');
    ac.abort();
    await assert.rejects(withTimeout(pending, 10000, 'aborted accept'), isAbortError);

    // a later accept still works and gets the next connection
    const next = listener.accept();
    const client = track(await netConnect(port));
    const server = track(await withTimeout(next, 10000, 'accept after abort'));
    assert.equal(server.remotePort, client.localPort);
    client.write('after abort');
    assert.equal((await withTimeout(readExactly(server, 11), 10000, 'read')).toString(), 'after abort');
  });

  it('aborting after an accept completed changes nothing', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const ac = new AbortController();
    const p = listener.accept({ signal: ac.signal });
    track(await netConnect(listener.address().port));
    const server = track(await withTimeout(p, 10000, 'accept'));
    ac.abort();
    await delay(20);
    await server.write('still fine');
  });

  it('a pending read aborted -> AbortError; the socket keeps working afterwards', async function () {
    const { client, server } = await afdPair(track);
    const ac = new AbortController();
    const pending = readWithSignal(client, ac.signal);
    assert.equal(await settledState(pending, 100), 'pending');
    ac.abort();
    await assert.rejects(withTimeout(pending, 10000, 'aborted read'), isAbortError);

    // data sent after the abort is not lost
    await server.write('after abort');
    assert.equal((await withTimeout(readExactly(client, 11), 10000, 'read after abort')).toString(), 'after abort');
    // and the other direction is unaffected
    await client.write('pong');
    assert.equal((await withTimeout(readExactly(server, 4), 10000, 'read on server')).toString(), 'pong');
  });

  it('read with an already-aborted signal rejects with AbortError', async function () {
    const { client, server } = await afdPair(track);
    await assert.rejects(async () => readWithSignal(client, AbortSignal.abort()), isAbortError);
    await server.write('x');
    assert.equal((await withTimeout(readExactly(client, 1), 10000, 'read')).toString(), 'x');
  });

  it('a pending connect aborted -> AbortError at once; its endpoint is released', async function () {
    this.timeout(30000);
    // A listener whose accept queue is full: further SYNs are dropped, so a
    // connect to it stays pending.
    const full = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0, backlog: 0 }));
    const { port } = full.address();
    const before = afd.stats();
    let stuck = false;
    for (let i = 0; i < 64 && !stuck; i++) {
      const ac = new AbortController();
      const attempt = afd.AfdSocket.connect({ host: '127.0.0.1', port, signal: ac.signal });
      if (await settledState(attempt, 300) === 'resolved') {
        track(await attempt);
        continue;
      }
      stuck = true;
      const t0 = Date.now();
      ac.abort();
      await assert.rejects(withTimeout(attempt, 5000, 'aborted connect'), isAbortError);
      assert.ok(Date.now() - t0 < 2000, `the abort took ${Date.now() - t0} ms`);
    }
    assert.ok(stuck, 'no connect stayed pending against a full accept queue');
    assert.equal(afd.stats().pending.connect, before.pending.connect);
  });
});
