'use strict';
// Buffers detached (transferred) while an operation on them waits. No syscall
// touches their memory: the operation settles with ERR_INVALID_STATE, and no
// byte of the stream is lost or made up.

const assert = require('node:assert/strict');
const { afd, useCleanup, withTimeout, delay, settledState, readExactly, randomBytes, MiB } = require('./helpers');

function detach(view) {
  structuredClone(view.buffer, { transfer: [view.buffer] });
  assert.equal(view.byteLength, 0, 'the view is detached');
}

const isInvalidState = (err) => err.code === 'ERR_INVALID_STATE';

describe('buffers detached while an operation waits', function () {
  const track = useCleanup();

  it('read(into): the read rejects with ERR_INVALID_STATE and the bytes stay in the stream', async function () {
    const { client, server } = await afdPairOf(track);
    const into = new Uint8Array(new ArrayBuffer(4096));
    const pending = server.read(into);
    assert.equal(await settledState(pending, 50), 'pending');
    detach(into);
    await client.write('after the detach');
    await assert.rejects(withTimeout(pending, 20000, 'read'), isInvalidState);
    assert.equal(String(await withTimeout(readExactly(server, 16), 20000, 'read again')), 'after the detach');
  });

  it('read(into) of a buffer detached before the call reads nothing and takes no byte', async function () {
    const { server } = await afdPairOf(track);
    const into = new Uint8Array(new ArrayBuffer(16));
    detach(into);
    // A detached view reads as zero-length: nothing to read into.
    const r = await server.read(into);
    assert.equal(r.length, 0);
  });

  it('write(data): a write waiting for room rejects with ERR_INVALID_STATE; the peer gets its prefix, then later writes', async function () {
    this.timeout(60000);
    const { client, server } = await afdPairOf(track);
    const size = 32 * MiB; // more than loopback buffers hold: the write waits for room
    const data = new Uint8Array(new ArrayBuffer(size));
    data.set(randomBytes(size));
    const copy = Buffer.from(data);
    const writing = client.write(data);
    assert.equal(await settledState(writing, 100), 'pending', 'the write waits for room');
    detach(data);
    const after = client.write('tail');
    // Drain the peer: the accepted prefix, then 'tail', then EOF.
    const reading = (async () => {
      const chunks = [];
      for (;;) {
        const c = await server.read();
        if (c === null) break;
        chunks.push(c);
      }
      return Buffer.concat(chunks);
    })();
    let err;
    await assert.rejects(withTimeout(writing, 30000, 'write'), (e) => { err = e; return isInvalidState(e); });
    assert.ok(Number.isInteger(err.bytesWritten) && err.bytesWritten > 0 && err.bytesWritten < size,
      `bytesWritten ${err.bytesWritten}`);
    await withTimeout(after, 30000, 'the next write');
    await client.end();
    const got = await withTimeout(reading, 30000, 'peer reads');
    assert.equal(got.length, err.bytesWritten + 4);
    assert.ok(got.subarray(0, err.bytesWritten).equals(copy.subarray(0, err.bytesWritten)), 'the prefix is the caller\'s bytes');
    assert.equal(String(got.subarray(err.bytesWritten)), 'tail');
  });

  it('a buffer detached before write() sends nothing', async function () {
    const { client, server } = await afdPairOf(track);
    const data = new Uint8Array(new ArrayBuffer(8));
    detach(data);
    await client.write(data); // zero bytes: nothing to send
    await client.write('ok');
    assert.equal(String(await withTimeout(readExactly(server, 2), 20000, 'read')), 'ok');
    await delay(10);
  });
});

async function afdPairOf(track) {
  const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
  const accepting = listener.accept();
  const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port }));
  const server = track(await withTimeout(accepting, 20000, 'accept'));
  return { client, server };
}
