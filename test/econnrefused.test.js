'use strict';
// 8. ECONNREFUSED when nothing listens on the port.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, freePort, assertSysError, withTimeout, readExactly,
} = require('./helpers');

describe('errors: ECONNREFUSED', function () {
  const track = useCleanup();

  it('connect to a closed port on 127.0.0.1 rejects with ECONNREFUSED (syscall connect)', async function () {
    const port = await freePort('127.0.0.1');
    await assert.rejects(
      withTimeout(afd.AfdSocket.connect({ host: '127.0.0.1', port }).then(track), 30000, 'connect'),
      (e) => assertSysError(e, { code: 'ECONNREFUSED', syscall: 'connect', address: '127.0.0.1', port }),
    );
  });

  it('connect to a closed port on ::1 rejects with ECONNREFUSED', async function () {
    const port = await freePort('::1');
    await assert.rejects(
      withTimeout(afd.AfdSocket.connect({ host: '::1', port }).then(track), 30000, 'connect'),
      (e) => assertSysError(e, { code: 'ECONNREFUSED', syscall: 'connect', address: '::1', port }),
    );
  });

  it('a refused connect does not disturb later connects', async function () {
    const port = await freePort('127.0.0.1');
    for (let i = 0; i < 3; i++) {
      await assert.rejects(
        withTimeout(afd.AfdSocket.connect({ host: '127.0.0.1', port }).then(track), 30000, 'connect'),
        (e) => e.code === 'ECONNREFUSED',
      );
    }
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const accepted = listener.accept();
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port }));
    const server = track(await withTimeout(accepted, 10000, 'accept'));
    await client.write('ok');
    assert.equal((await withTimeout(readExactly(server, 2), 10000, 'read')).toString(), 'ok');
  });
});
