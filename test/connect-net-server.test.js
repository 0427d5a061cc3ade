'use strict';
// 4. An AfdSocket client against a node:net server.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const {
  afd, useCleanup, netListen, withTimeout, readAll, sha256, randomBytes, KiB,
} = require('./helpers');

describe('connect: AfdSocket -> node:net server', function () {
  const track = useCleanup();

  it('moves data both ways and reports sane addresses', async function () {
    this.timeout(120000);
    const greeting = randomBytes(300 * KiB + 17);
    const upload = randomBytes(500 * KiB + 3);
    let serverSide = null;
    let resolveServer;
    const serverGot = new Promise((resolve) => { resolveServer = resolve; });
    const srv = await netListen({
      onConnection(sock) {
        serverSide = { remotePort: sock.remotePort, remoteAddress: sock.remoteAddress };
        const h = crypto.createHash('sha256');
        let bytes = 0;
        sock.write(greeting);
        sock.on('data', (d) => { h.update(d); bytes += d.length; });
        sock.on('end', () => {
          const digest = h.digest();
          sock.end(digest); // 32 raw bytes after the greeting
          resolveServer({ bytes, hex: digest.toString('hex') });
        });
      },
    });
    track(() => srv.close());

    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: srv.port }));
    assert.equal(client.remoteAddress, '127.0.0.1');
    assert.equal(client.remotePort, srv.port);
    assert.equal(client.remoteFamily, 'IPv4');
    const local = client.address();
    assert.equal(local.address, '127.0.0.1');
    assert.equal(local.family, 'IPv4');
    assert.ok(local.port > 0 && local.port !== srv.port);

    const reading = readAll(client);
    await client.write(upload.subarray(0, 1000));
    await client.write(upload.subarray(1000));
    await client.end();

    const received = await withTimeout(reading, 60000, 'client read');
    const server = await withTimeout(serverGot, 60000, 'server end');
    assert.ok(serverSide, 'server saw the connection');
    assert.equal(serverSide.remotePort, local.port);
    assert.equal(serverSide.remoteAddress, '127.0.0.1');

    assert.equal(server.bytes, upload.length);
    assert.equal(server.hex, sha256(upload));
    assert.equal(received.length, greeting.length + 32);
    assert.ok(received.subarray(0, greeting.length).equals(greeting), 'greeting bytes differ');
    assert.equal(received.subarray(greeting.length).toString('hex'), sha256(upload));
  });

  it('write() accepts strings (UTF-8) and Uint8Array', async function () {
    const chunks = [];
    const srv = await netListen({
      onConnection(sock) {
        sock.on('data', (d) => chunks.push(d));
        sock.on('end', () => sock.end());
      },
    });
    track(() => srv.close());
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: srv.port }));
    await client.write('héllo ✓ ');
    await client.write(new Uint8Array([0x00, 0xff, 0x41]));
    const u8 = new Uint8Array([9, 9, 1, 2, 3, 9]);
    await client.write(u8.subarray(2, 5)); // respects byteOffset/length
    await client.end();
    assert.equal(await withTimeout(client.read(), 10000, 'eof'), null);
    assert.deepEqual(Buffer.concat(chunks), Buffer.concat([
      Buffer.from('héllo ✓ ', 'utf8'), Buffer.from([0x00, 0xff, 0x41]), Buffer.from([1, 2, 3]),
    ]));
  });
});
