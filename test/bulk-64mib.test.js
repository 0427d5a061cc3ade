'use strict';
// 17. 64 MiB through one connection (AfdSocket -> AfdListener).

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const {
  afd, useCleanup, withTimeout, readHash, readAll, sha256, MiB,
} = require('./helpers');

const SIZE = 64 * MiB;

describe('bulk: 64 MiB one direction', function () {
  const track = useCleanup();

  it('a single 64 MiB write arrives intact (sha256)', async function () {
    this.timeout(600000);
    const data = crypto.randomBytes(SIZE);
    const expected = sha256(data);

    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const [client, server] = await Promise.all([
      afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port }),
      listener.accept(),
    ]);
    track(client);
    track(server);

    const receiving = readHash(server, { into: Buffer.allocUnsafe(256 * 1024) });
    await withTimeout((async () => { await client.write(data); await client.end(); })(), 500000, 'write 64 MiB');
    const got = await withTimeout(receiving, 500000, 'read 64 MiB');
    assert.equal(got.bytes, SIZE);
    assert.equal(got.hex, expected);

    // the reply path still works after the bulk transfer
    await server.write(Buffer.from(got.hex, 'hex'));
    await server.end();
    const reply = await withTimeout(readAll(client), 20000, 'digest reply');
    assert.equal(reply.toString('hex'), expected);
  });
});
