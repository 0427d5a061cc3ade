'use strict';
// Idle connections with a pending read() hold no per-connection receive
// buffer: the read waits for readiness without memory, and stats() and the
// process's external memory show it.

const assert = require('node:assert/strict');
const net = require('node:net');
const { afd, useCleanup, withTimeout, delay, readExactly } = require('./helpers');

const N = 2000;

function externalBytes() {
  const m = process.memoryUsage();
  return m.external + m.arrayBuffers;
}

describe('idle connections with pending reads', function () {
  const track = useCleanup();

  it(`${N} pending read() calls hold no receive buffer (stats and external memory)`, async function () {
    this.timeout(300000);
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0, backlog: 1024 }));
    const { port } = listener.address();
    const base = afd.stats();
    const externalBefore = externalBytes();

    // Clients are plain node:net sockets; the library holds only the server side.
    const clients = [];
    track(() => { for (const c of clients) c.destroy(); });
    const servers = [];
    track(async () => { await Promise.all(servers.map((s) => s.close())); });
    const reads = [];
    for (let start = 0; start < N; start += 100) {
      const batch = [];
      for (let i = start; i < start + 100; i++) {
        batch.push(new Promise((resolve, reject) => {
          const c = net.connect(port, '127.0.0.1', resolve);
          c.on('error', reject);
          clients.push(c);
        }));
      }
      await withTimeout(Promise.all(batch), 60000, `connect batch ${start}`);
      for (let i = start; i < start + 100; i++) {
        const s = await withTimeout(listener.accept(), 60000, 'accept');
        servers.push(s);
        reads.push(s.read()); // waits: the clients send nothing yet
      }
    }
    await delay(50);
    const held = afd.stats();
    assert.equal(held.openSockets - base.openSockets, N);
    assert.equal(held.pending.read - base.pending.read, N, 'every read is pending');
    assert.equal(held.readBufferBytes, base.readBufferBytes, 'bytes held for reads do not grow with pending reads');
    const perConnection = (externalBytes() - externalBefore) / N;
    assert.ok(perConnection < 1024, `external memory per idle connection: ${perConnection.toFixed(0)} bytes`);

    // The reads still work: one byte to every connection, each read gets it.
    clients.forEach((c, i) => c.write(Buffer.from([i & 0xff])));
    const got = await withTimeout(Promise.all(reads), 120000, 'reads complete');
    got.forEach((b, i) => assert.equal(b[0], i & 0xff));
    assert.equal(afd.stats().pending.read, base.pending.read);
  });

  it('stats() counts open sockets and listeners, and pending operations by kind', async function () {
    const base = afd.stats();
    const listener = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
    const accepting = listener.accept();
    assert.equal(afd.stats().openListeners, base.openListeners + 1);
    assert.equal(afd.stats().pending.accept, base.pending.accept + 1);
    const client = await afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port });
    const server = await withTimeout(accepting, 20000, 'accept');
    const s = afd.stats();
    assert.equal(s.openSockets, base.openSockets + 2);
    assert.equal(s.pending.accept, base.pending.accept);
    assert.ok(s.completions >= base.completions && s.wakeups >= base.wakeups);
    if (afd.backend === 'afd-wine') assert.equal(s.handles, null, 'Wine 8.0 has no handle count');
    else assert.ok(Number.isInteger(s.handles) && s.handles > 0, `handles ${s.handles}`);
    const reading = server.read();
    assert.equal(afd.stats().pending.read, base.pending.read + 1);
    await client.write('x');
    assert.equal(String(await withTimeout(reading, 20000, 'read')), 'x');
    await client.close();
    await server.close();
    await listener.close();
    const end = afd.stats();
    assert.equal(end.openSockets, base.openSockets);
    assert.equal(end.openListeners, base.openListeners);
    assert.deepEqual(end.pending, base.pending);
  });

  it('handles (descriptors) come back to where they were after close', async function () {
    const before = afd.stats().handles;
    if (before === null) this.skip(); // Wine 8.0: GetProcessHandleCount and ProcessHandleCount are stubs
    const listener = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
    const accepting = listener.accept();
    const client = await afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port });
    const server = await withTimeout(accepting, 20000, 'accept');
    assert.ok(afd.stats().handles >= before + 3, 'listener and two sockets hold handles');
    await client.write('ping');
    assert.equal(String(await readExactly(server, 4)), 'ping');
    await Promise.all([client.close(), server.close(), listener.close()]);
    assert.equal(afd.stats().handles, before);
  });
});
