'use strict';
// Lifetimes: sockets dropped without close() are closed by a finalizer (once),
// and worker.terminate() with operations pending neither crashes nor leaks.

const assert = require('node:assert/strict');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { Worker } = require('node:worker_threads');
const { afd, useCleanup, withTimeout, delay } = require('./helpers');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

async function collect() {
  for (let i = 0; i < 5; i++) {
    gc();
    await delay(20);
  }
}

describe('lifetimes', function () {
  this.timeout(120000);
  const track = useCleanup();

  it('sockets that become unreachable without close() are closed by a finalizer', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const { port } = listener.address();
    const base = afd.stats().openSockets;
    const servers = [];
    track(async () => { await Promise.all(servers.map((s) => s.close())); });
    await (async () => {
      for (let i = 0; i < 20; i++) {
        const accepting = listener.accept();
        await afd.AfdSocket.connect({ host: '127.0.0.1', port }); // dropped at once
        servers.push(await accepting);
      }
    })();
    assert.equal(afd.stats().openSockets, base + 40);
    await collect();
    assert.equal(afd.stats().openSockets, base + 20, 'the 20 dropped clients were closed');
    // The kernel knows it too: each server side reads end of stream.
    const eofs = await withTimeout(Promise.all(servers.map((s) => s.read())), 20000, 'EOF on every server socket');
    assert.deepEqual(eofs, new Array(20).fill(null));
    // A later explicit close of a finalized socket's peer, and GC again, close nothing twice.
    await Promise.all(servers.map((s) => s.close()));
    servers.length = 0;
    await collect();
    assert.equal(afd.stats().openSockets, base);
  });

  it('a socket with a read pending stays alive without a reference, and the read completes', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const accepting = listener.accept();
    const reading = (async () => {
      const c = await afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port });
      return c.read().then((b) => { c.close(); return b; });
    })();
    const server = track(await accepting);
    await collect();
    await server.write('still here');
    assert.equal(String(await withTimeout(reading, 10000, 'read')), 'still here');
  });

  it('worker.terminate() with accepts, reads and writes pending: no crash, nothing left open', async function () {
    const before = afd.stats().handles;
    for (let round = 0; round < 3; round++) {
      const worker = new Worker(`
        const { parentPort, workerData } = require('node:worker_threads');
        const afd = require(workerData.pkg);
        (async () => {
          const l = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
          const accepting = l.accept();
          const c = await afd.AfdSocket.connect({ host: '127.0.0.1', port: l.address().port });
          const s = await accepting;
          l.accept().catch(() => {});                             // an accept waiting for a connection
          c.read().catch(() => {});                               // a read waiting for data
          s.write(Buffer.alloc(64 * 1024 * 1024)).catch(() => {}); // a write waiting for room
          parentPort.postMessage('pending');
        })();
      `, { eval: true, workerData: { pkg: path.resolve(__dirname, '..') } });
      const [msg] = await withTimeout(new Promise((resolve, reject) => {
        worker.once('message', (m) => resolve([m]));
        worker.once('error', reject);
      }), 30000, 'worker ready');
      assert.equal(msg, 'pending');
      const code = await withTimeout(worker.terminate(), 30000, 'terminate');
      assert.equal(code, 1);
    }
    // The main thread's instance still works.
    const l = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
    await l.close();
    if (before !== null) {
      await delay(100);
      assert.equal(afd.stats().handles, before, 'descriptors of the terminated workers are all closed');
    }
  });
});
