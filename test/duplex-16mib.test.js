'use strict';
// 5. AfdSocket <-> AfdListener: 16 MiB both ways at once, random chunk sizes.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, withTimeout, readHash, writeChunked, sha256, randomBytes, KiB, MiB,
} = require('./helpers');

const SIZE = 16 * MiB;
const MAX_CHUNK = 256 * KiB;

describe('duplex: 16 MiB both ways at once', function () {
  const track = useCleanup();

  it('delivers both directions intact (read(into) on one side, read() on the other)', async function () {
    this.timeout(300000);
    const up = randomBytes(SIZE);
    const down = randomBytes(SIZE);

    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const [client, server] = await Promise.all([
      afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port }),
      listener.accept(),
    ]);
    track(client);
    track(server);

    // client: writes `up`, reads into a fixed 64 KiB buffer (odd offset on purpose)
    const backing = new Uint8Array(64 * KiB + 3);
    const into = backing.subarray(3);
    const clientSide = Promise.all([
      (async () => { const n = await writeChunked(client, up, MAX_CHUNK); await client.end(); return n; })(),
      readHash(client, { into }),
    ]);
    // server: writes `down`, reads with read()
    const serverSide = Promise.all([
      (async () => { const n = await writeChunked(server, down, MAX_CHUNK); await server.end(); return n; })(),
      readHash(server),
    ]);

    const [[clientWrites, clientRead], [serverWrites, serverRead]] = await withTimeout(
      Promise.all([clientSide, serverSide]), 280000, '16 MiB duplex transfer');

    assert.ok(clientWrites > 1 && serverWrites > 1);
    assert.equal(serverRead.bytes, SIZE, 'bytes client -> server');
    assert.equal(clientRead.bytes, SIZE, 'bytes server -> client');
    assert.equal(serverRead.hex, sha256(up), 'sha256 client -> server');
    assert.equal(clientRead.hex, sha256(down), 'sha256 server -> client');
  });
});
