'use strict';
// 1. An ephemeral bind (port 0) reports the real port the kernel chose.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, netConnect, netReadAll, echoServer, withTimeout,
} = require('./helpers');

describe('listen: ephemeral port', function () {
  const track = useCleanup();

  it('exposes the backend name', function () {
    const expected = process.platform === 'win32' ? ['afd', 'afd-wine'] : ['linux'];
    assert.ok(expected.includes(afd.backend), `unexpected backend ${afd.backend}`);
  });

  it('port 0 on 127.0.0.1 reports a real port that node:net can connect to', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const addr = listener.address();
    assert.deepEqual(Object.keys(addr).sort(), ['address', 'family', 'port']);
    assert.equal(addr.address, '127.0.0.1');
    assert.equal(addr.family, 'IPv4');
    assert.ok(Number.isInteger(addr.port) && addr.port > 0 && addr.port < 65536, `port ${addr.port}`);

    // address() is stable
    assert.deepEqual(listener.address(), addr);

    const accepted = listener.accept();
    const client = track(await netConnect(addr.port, '127.0.0.1'));
    const server = track(await withTimeout(accepted, 10000, 'accept'));
    assert.equal(client.remotePort, addr.port);
    assert.equal(server.remotePort, client.localPort);
    assert.equal(server.remoteAddress, '127.0.0.1');
    assert.equal(server.address().port, addr.port);
    assert.equal(server.address().address, '127.0.0.1');

    // data flows through the accepted socket
    const got = netReadAll(client);
    await server.write('hello from afd');
    await server.end();
    assert.equal((await withTimeout(got, 10000, 'net client read')).toString(), 'hello from afd');
  });

  it('two ephemeral listeners get different ports', async function () {
    const a = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const b = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    assert.ok(a.address().port > 0);
    assert.ok(b.address().port > 0);
    assert.notEqual(a.address().port, b.address().port);
  });

  it('port 0 on ::1 reports family IPv6 and a real port', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '::1', port: 0 }));
    const addr = listener.address();
    assert.equal(addr.address, '::1');
    assert.equal(addr.family, 'IPv6');
    assert.ok(addr.port > 0 && addr.port < 65536);
    const echo = echoServer(listener);
    track(() => echo.close());
    const client = track(await netConnect(addr.port, '::1'));
    const got = netReadAll(client);
    client.end('v6 ping');
    assert.equal((await withTimeout(got, 10000, 'echo over ::1')).toString(), 'v6 ping');
  });

  it('an explicit free port is honoured', async function () {
    const probe = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
    const port = probe.address().port;
    await probe.close();
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port }));
    assert.equal(listener.address().port, port);
  });
});
