'use strict';
// 9. Half-close: end() shuts down only the send side.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, withTimeout, readAll, afdPair, netListen, randomBytes, KiB,
} = require('./helpers');

describe('half-close', function () {
  const track = useCleanup();

  it('client end() -> server reads to EOF, replies and closes -> client reads reply to EOF', async function () {
    const { client, server } = await afdPair(track);

    const request = randomBytes(100 * KiB);
    await client.write(request);
    await client.end();

    const got = await withTimeout(readAll(server), 20000, 'server read to EOF');
    assert.ok(got.equals(request), 'request bytes differ');
    // EOF is sticky
    assert.equal(await withTimeout(server.read(), 5000, 'second read after EOF'), null);

    const reply = randomBytes(200 * KiB);
    await server.write(reply);   // the server can still send after the peer's FIN
    await server.close();

    const back = await withTimeout(readAll(client), 20000, 'client read reply to EOF');
    assert.ok(back.equals(reply), 'reply bytes differ');
  });

  it('end() waits for pending writes: a write issued before end() is fully delivered', async function () {
    const { client, server } = await afdPair(track);
    const big = randomBytes(4 * 1024 * KiB);
    const w = client.write(big);     // not awaited
    const e = client.end();
    const reading = readAll(server);
    await withTimeout(Promise.all([w, e]), 60000, 'write + end');
    const got = await withTimeout(reading, 60000, 'server read');
    assert.equal(got.length, big.length);
    assert.ok(got.equals(big));
  });

  it('a node:net peer sees the FIN and can still answer', async function () {
    let netGot = null;
    const srv = await netListen({
      onConnection(sock) {
        const chunks = [];
        sock.on('data', (d) => chunks.push(d));
        sock.on('end', () => {
          netGot = Buffer.concat(chunks).toString();
          sock.end(`got ${netGot.length} bytes`);
        });
      },
    });
    track(() => srv.close());
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: srv.port }));
    await client.write('half-closed request');
    await client.end();
    const reply = await withTimeout(readAll(client), 20000, 'reply');
    assert.equal(netGot, 'half-closed request');
    assert.equal(reply.toString(), 'got 19 bytes');
  });

  it('writing after end() fails', async function () {
    const { client } = await afdPair(track);
    await client.end();
    await assert.rejects(async () => client.write('too late'), (e) => e instanceof Error);
  });
});
