'use strict';
// socket.toStream(): a Duplex with real backpressure both ways, gathered
// writes, and the net.Socket surface http and tls use.

const assert = require('node:assert/strict');
const net = require('node:net');
const { once } = require('node:events');
const { pipeline } = require('node:stream/promises');
const {
  afd, useCleanup, withTimeout, delay, sha256, randomBytes, netListen, captureTrace, MiB, afdPair,
} = require('./helpers');

async function netPeer(track) {
  let resolveConn;
  const conn = new Promise((r) => { resolveConn = r; });
  const srv = await netListen({ onConnection: (s) => resolveConn(s) });
  track(() => srv.close());
  const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: srv.port }));
  return { client, peer: await withTimeout(conn, 10000, 'net accept') };
}

describe('toStream()', function () {
  this.timeout(60000);
  const track = useCleanup();

  it('reading stops while the readable side is full, and every byte arrives once it drains', async function () {
    const { client, peer } = await netPeer(track);
    const stream = client.toStream();
    track(() => stream.destroy());
    const data = randomBytes(8 * MiB);
    peer.write(data);
    stream.pause();
    await delay(300);
    const held = client.bytesRead;
    assert.ok(held < 2 * MiB, `read ${held} bytes while paused`);
    await delay(200);
    assert.equal(client.bytesRead, held, 'no reading while paused');
    peer.end();
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.resume();
    await withTimeout(once(stream, 'end'), 20000, 'end');
    assert.equal(sha256(chunks), sha256(data));
    assert.equal(stream.bytesRead, data.length);
  });

  it('write() returns false while bytes wait for room; drain follows; the peer gets every byte in order', async function () {
    const { client, peer } = await netPeer(track);
    const stream = client.toStream();
    track(() => stream.destroy());
    peer.pause();
    const parts = [];
    let sawFalse = false;
    for (let i = 0; i < 64 && !sawFalse; i++) {
      const part = randomBytes(MiB);
      parts.push(part);
      sawFalse = stream.write(part) === false;
    }
    assert.ok(sawFalse, 'write() never returned false with the peer not reading');
    assert.ok(stream.writableLength > 0, 'bytes still in flight');
    const got = [];
    peer.on('data', (d) => got.push(d));
    peer.resume();
    await withTimeout(once(stream, 'drain'), 20000, 'drain');
    stream.end();
    await withTimeout(once(peer, 'end'), 20000, 'peer end');
    assert.equal(sha256(got), sha256(parts));
    assert.equal(stream.bytesWritten, parts.length * MiB);
  });

  it('corked writes go to the kernel gathered in one call', async function () {
    const { client, peer } = await netPeer(track);
    const stream = client.toStream();
    track(() => stream.destroy());
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.from(`part ${i};`));
    const trace = captureTrace();
    try {
      stream.cork();
      for (const p of parts) stream.write(p);
      stream.uncork();
      await new Promise((r) => setImmediate(r));
    } finally {
      trace.stop();
    }
    const sends = trace.messages.filter((m) => (m.syscall === 'sendmsg' || m.syscall === 'send'
      || /SEND/.test(m.ioctl || '')) && (m.result === undefined || m.result > 0));
    assert.equal(sends.length, 1, `kernel send calls: ${sends.map((m) => m.syscall + ':' + (m.ioctl || '')).join(', ')}`);
    if (afd.backend === 'linux') assert.equal(sends[0].syscall, 'sendmsg');
    else if (sends[0].ioctl === 'IOCTL_AFD_WINE_SENDMSG') assert.equal(sends[0].input.readUInt32LE(20), 50, 'WSABUF count');
    else assert.equal(sends[0].input.readUInt32LE(8), 50, 'BufferCount');
    const want = Buffer.concat(parts);
    let got = Buffer.alloc(0);
    for await (const d of peer) {
      got = Buffer.concat([got, d]);
      if (got.length >= want.length) break;
    }
    assert.ok(got.equals(want));
  });

  it('pipeline through an echo: 4 MiB with sha256, EOF both ways, streams closed', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const accepting = listener.accept();
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port }));
    const server = track(await accepting);
    const s = server.toStream({ allowHalfOpen: true });
    const echo = pipeline(s, s);
    const c = client.toStream();
    const data = randomBytes(4 * MiB);
    const chunks = [];
    c.on('data', (d) => chunks.push(d));
    c.end(data);
    await withTimeout(once(c, 'end'), 20000, 'client end');
    await withTimeout(echo, 20000, 'echo pipeline');
    assert.equal(sha256(chunks), sha256(data));
    c.destroy();
    await once(c, 'close');
    assert.equal(c.destroyed, true);
    assert.equal(c.readyState, 'closed');
  });

  it('has the net.Socket surface: addresses, setTimeout, setNoDelay, setKeepAlive, readyState', async function () {
    const { client, server } = await afdPair(track);
    const a = client.toStream();
    const b = server.toStream();
    assert.equal(client.toStream(), a, 'one stream per socket');
    assert.equal(a.remoteAddress, '127.0.0.1');
    assert.equal(a.remotePort, server.address().port);
    assert.equal(a.remoteFamily, 'IPv4');
    assert.equal(a.localAddress, '127.0.0.1');
    assert.equal(a.localPort, client.address().port);
    assert.equal(b.remotePort, a.localPort);
    assert.equal(a.readyState, 'open');
    assert.equal(a.setNoDelay(true), a);
    const before = afd.stats().keepAliveFailures;
    assert.equal(a.setKeepAlive(true, 1000), a);
    assert.equal(afd.stats().keepAliveFailures - before, 0, 'SO_KEEPALIVE was refused');
    const t0 = Date.now();
    a.setTimeout(150);
    await withTimeout(once(a, 'timeout'), 5000, 'timeout');
    assert.ok(Date.now() - t0 >= 140, 'timeout came early');
    a.setTimeout(0);
    a.end();
    b.resume();
    await withTimeout(once(b, 'end'), 5000, 'peer end');
    a.destroy();
    b.destroy();
  });

  it('a peer reset destroys the stream with ECONNRESET', async function () {
    const { client, peer } = await netPeer(track);
    const stream = client.toStream();
    stream.resume();
    const err = once(stream, 'error');
    // A read is waiting when the reset comes. (Under Wine 8.0 a reset that
    // arrives with no read waiting reads as end of stream: its server takes
    // the socket error first. Real Windows and Linux report it either way.)
    await delay(100);
    peer.resetAndDestroy();
    const [e] = await withTimeout(err, 10000, 'error');
    assert.equal(e.code, 'ECONNRESET');
  });
});
