'use strict';
// Connect to 0.0.0.0 or :: reaches loopback on both backends, as libuv
// rewrites it (Windows itself refuses the unspecified address).

const assert = require('node:assert/strict');
const { afd, useCleanup, withTimeout, readExactly } = require('./helpers');

describe('connect to the unspecified address', function () {
  this.timeout(30000);
  const track = useCleanup();
  for (const [any, loopback] of [['0.0.0.0', '127.0.0.1'], ['::', '::1']]) {
    it(`${any} connects to ${loopback}, and bytes flow`, async function () {
      const listener = track(await afd.AfdListener.listen({ host: loopback, port: 0 }));
      const [client, server] = await Promise.all([
        withTimeout(afd.AfdSocket.connect({ host: any, port: listener.address().port }), 10000, 'connect'),
        listener.accept(),
      ]);
      track(client);
      track(server);
      assert.equal(client.remoteAddress, loopback);
      await client.write(Buffer.from('hi'));
      assert.equal((await withTimeout(readExactly(server, 2), 10000, 'read')).toString(), 'hi');
    });
  }
});
