'use strict';
// 7. EADDRINUSE when the port is already taken.

const assert = require('node:assert/strict');
const net = require('node:net');
const {
  afd, useCleanup, netListen, assertSysError, withTimeout,
} = require('./helpers');

describe('errors: EADDRINUSE', function () {
  const track = useCleanup();

  it('listen on a port held by a node:net server rejects with EADDRINUSE (syscall bind)', async function () {
    const srv = await netListen({ host: '127.0.0.1' });
    track(() => srv.close());
    let err;
    await assert.rejects(
      afd.AfdListener.listen({ host: '127.0.0.1', port: srv.port }).then(track),
      (e) => { err = e; return true; },
    );
    assertSysError(err, { code: 'EADDRINUSE', syscall: 'bind', address: '127.0.0.1', port: srv.port });
    // the node:net server is untouched
    assert.equal(srv.server.listening, true);
  });

  it('share: "unique" also refuses the taken port', async function () {
    const srv = await netListen({ host: '127.0.0.1' });
    track(() => srv.close());
    await assert.rejects(
      afd.AfdListener.listen({ host: '127.0.0.1', port: srv.port, share: 'unique' }).then(track),
      (e) => assertSysError(e, { code: 'EADDRINUSE', syscall: 'bind', address: '127.0.0.1', port: srv.port }),
    );
  });

  it('a second AfdListener on the same port rejects with EADDRINUSE', async function () {
    const first = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const { port } = first.address();
    await assert.rejects(
      afd.AfdListener.listen({ host: '127.0.0.1', port }).then(track),
      (e) => assertSysError(e, { code: 'EADDRINUSE', syscall: 'bind', address: '127.0.0.1', port }),
    );
    // the first listener still works
    const accepted = first.accept();
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port }));
    track(await withTimeout(accepted, 10000, 'accept on first listener'));
    assert.equal(client.remotePort, port);
  });

  it('a node:net server cannot take a port held by an AfdListener', async function () {
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const { port } = listener.address();
    const server = net.createServer();
    const err = await new Promise((resolve) => {
      server.once('error', resolve);
      server.listen({ host: '127.0.0.1', port }, () => resolve(null));
    });
    if (err === null) track(server);
    assert.ok(err, 'node:net was able to listen on a port held by AfdListener');
    assert.equal(err.code, 'EADDRINUSE');
  });

  it('EADDRINUSE on ::1 reports the IPv6 address', async function () {
    const srv = await netListen({ host: '::1' });
    track(() => srv.close());
    await assert.rejects(
      afd.AfdListener.listen({ host: '::1', port: srv.port }).then(track),
      (e) => assertSysError(e, { code: 'EADDRINUSE', syscall: 'bind', address: '::1', port: srv.port }),
    );
  });
});
