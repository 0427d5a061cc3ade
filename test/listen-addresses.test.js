'use strict';
// 2. Listeners on the IPv4 wildcard and on the IPv6 loopback.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, netConnect, netReadAll, echoServer, withTimeout, readAll,
} = require('./helpers');

describe('listen: addresses', function () {
  const track = useCleanup();

  it('a listener on 0.0.0.0 accepts a node:net client via 127.0.0.1', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '0.0.0.0', port: 0 }));
    const addr = listener.address();
    assert.equal(addr.address, '0.0.0.0');
    assert.equal(addr.family, 'IPv4');
    assert.ok(addr.port > 0);

    const accepted = listener.accept();
    const client = track(await netConnect(addr.port, '127.0.0.1'));
    const server = track(await withTimeout(accepted, 10000, 'accept'));
    // the accepted socket's local address is the concrete one, not the wildcard
    assert.deepEqual(server.address(), { address: '127.0.0.1', family: 'IPv4', port: addr.port });
    assert.equal(server.remoteAddress, '127.0.0.1');
    assert.equal(server.remoteFamily, 'IPv4');
    assert.equal(server.remotePort, client.localPort);

    const fromServer = netReadAll(client);
    client.end('to server');
    assert.equal((await withTimeout(readAll(server), 10000, 'server read')).toString(), 'to server');
    await server.write('to client');
    await server.end();
    assert.equal((await withTimeout(fromServer, 10000, 'client read')).toString(), 'to client');
  });

  it('the default host is 0.0.0.0', async function () {
    const listener = track(await afd.AfdListener.listen({ port: 0 }));
    assert.equal(listener.address().address, '0.0.0.0');
    assert.equal(listener.address().family, 'IPv4');
    const echo = echoServer(listener);
    track(() => echo.close());
    const client = track(await netConnect(listener.address().port, '127.0.0.1'));
    const got = netReadAll(client);
    client.end('default host');
    assert.equal((await withTimeout(got, 10000, 'echo')).toString(), 'default host');
  });

  it('a listener on ::1 accepts an AfdSocket and a node:net client over IPv6', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '::1', port: 0 }));
    const { port } = listener.address();
    assert.equal(listener.address().family, 'IPv6');

    // AfdSocket client over ::1
    const accepted = listener.accept();
    const client = track(await afd.AfdSocket.connect({ host: '::1', port }));
    const server = track(await withTimeout(accepted, 10000, 'accept v6'));
    assert.equal(client.remoteAddress, '::1');
    assert.equal(client.remoteFamily, 'IPv6');
    assert.equal(client.remotePort, port);
    assert.deepEqual(client.address(), { address: '::1', family: 'IPv6', port: server.remotePort });
    assert.equal(server.remoteAddress, '::1');
    assert.equal(server.remoteFamily, 'IPv6');
    assert.deepEqual(server.address(), { address: '::1', family: 'IPv6', port });

    await client.write('six');
    await client.end();
    assert.equal((await withTimeout(readAll(server), 10000, 'server read v6')).toString(), 'six');
    await server.write('four');
    await server.end();
    assert.equal((await withTimeout(readAll(client), 10000, 'client read v6')).toString(), 'four');

    // node:net client over ::1
    const accepted2 = listener.accept();
    const netClient = track(await netConnect(port, '::1'));
    const server2 = track(await withTimeout(accepted2, 10000, 'accept v6 (net)'));
    assert.equal(server2.remotePort, netClient.localPort);
    const got = netReadAll(netClient);
    netClient.end();
    assert.equal(await withTimeout(server2.read(), 10000, 'eof'), null);
    await server2.write('bye');
    await server2.end();
    assert.equal((await withTimeout(got, 10000, 'net read v6')).toString(), 'bye');
  });

  it('an IPv4 AfdSocket cannot reach a listener bound only to ::1', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '::1', port: 0 }));
    const { port } = listener.address();
    await assert.rejects(
      withTimeout(afd.AfdSocket.connect({ host: '127.0.0.1', port }).then(track), 30000, 'connect'),
      (err) => err.code === 'ECONNREFUSED',
    );
  });
});
