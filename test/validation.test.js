'use strict';
// 12. Argument validation: Node-style error codes, and nothing reaches the OS.

const assert = require('node:assert/strict');
const util = require('node:util');
const {
  afd, useCleanup, netListen, captureTrace, withTimeout, readExactly,
} = require('./helpers');

function expectCode(code) {
  return (err) => {
    assert.ok(err instanceof Error, `expected an Error, got ${util.inspect(err)}`);
    assert.equal(err.code, code, `wrong code (message: ${err.message})`);
    return true;
  };
}

// Runs fn (which may throw synchronously or reject), asserting the code and
// that no syscall was published on the trace channel meanwhile.
async function rejectsWithoutSyscall(fn, code, track) {
  const trace = captureTrace();
  try {
    await assert.rejects(async () => {
      const r = await fn();
      if (r && typeof r.close === 'function') track(r); // wrongly succeeded: still clean up
      return r;
    }, expectCode(code));
  } finally {
    trace.stop();
  }
  assert.deepEqual(trace.messages.map((m) => m.syscall), [], `syscalls issued for ${code} case`);
}

describe('argument validation', function () {
  const track = useCleanup();

  const listenCases = [
    [{ port: -1 }, 'ERR_SOCKET_BAD_PORT'],
    [{ port: 65536 }, 'ERR_SOCKET_BAD_PORT'],
    [{ port: 1.5 }, 'ERR_SOCKET_BAD_PORT'],
    [{ port: NaN }, 'ERR_SOCKET_BAD_PORT'],
    [{ port: '80' }, 'ERR_INVALID_ARG_TYPE'],
    [{ port: {} }, 'ERR_INVALID_ARG_TYPE'],
    [{ host: 123, port: 0 }, 'ERR_INVALID_ARG_TYPE'],
    [{ host: 'not an ip', port: 0 }, 'ERR_INVALID_ARG_VALUE'],
    [{ host: 'localhost', port: 0 }, 'ERR_INVALID_ARG_VALUE'],
    [{ host: '127.0.0.256', port: 0 }, 'ERR_INVALID_ARG_VALUE'],
    [{ host: '127.0.0.1', port: 0, share: 'bogus' }, 'ERR_INVALID_ARG_VALUE'],
    [{ host: '127.0.0.1', port: 0, backlog: -1 }, 'ERR_INVALID_ARG_VALUE'],
    [{ host: '127.0.0.1', port: 0, signal: 'not a signal' }, 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [opts, code] of listenCases) {
    it(`AfdListener.listen(${util.inspect(opts)}) -> ${code}`, async function () {
      await rejectsWithoutSyscall(() => afd.AfdListener.listen(opts), code, track);
    });
  }

  const connectCases = [
    [{ host: '127.0.0.1', port: -1 }, 'ERR_SOCKET_BAD_PORT'],
    [{ host: '127.0.0.1', port: 65536 }, 'ERR_SOCKET_BAD_PORT'],
    [{ host: '127.0.0.1', port: 1.5 }, 'ERR_SOCKET_BAD_PORT'],
    [{ host: '127.0.0.1', port: NaN }, 'ERR_SOCKET_BAD_PORT'],
    [{ host: '127.0.0.1', port: '80' }, 'ERR_INVALID_ARG_TYPE'],
    [{ host: '127.0.0.1' }, 'ERR_INVALID_ARG_TYPE'],
    [{ host: 123, port: 80 }, 'ERR_INVALID_ARG_TYPE'],
    [{ port: 80 }, 'ERR_INVALID_ARG_TYPE'],
    [{ host: 'not an ip', port: 80 }, 'ERR_INVALID_ARG_VALUE'],
    [{ host: 'localhost', port: 80 }, 'ERR_INVALID_ARG_VALUE'],
    [{ host: '::1::1', port: 80 }, 'ERR_INVALID_ARG_VALUE'],
    [{ host: '127.0.0.1', port: 80, signal: {} }, 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [opts, code] of connectCases) {
    it(`AfdSocket.connect(${util.inspect(opts)}) -> ${code}`, async function () {
      await rejectsWithoutSyscall(() => afd.AfdSocket.connect(opts), code, track);
    });
  }

  describe('on a connected socket', function () {
    let client;
    let srv;
    let received;
    beforeEach(async function () {
      received = [];
      srv = await netListen({ onConnection(s) { s.on('data', (d) => received.push(d)); } });
      track(() => srv.close());
      client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: srv.port }));
    });

    for (const [label, value] of [['123', 123], ['null', null], ['{}', {}], ['[1, 2]', [1, 2]], ['undefined', undefined]]) {
      it(`write(${label}) -> ERR_INVALID_ARG_TYPE and nothing is sent`, async function () {
        await rejectsWithoutSyscall(() => client.write(value), 'ERR_INVALID_ARG_TYPE', track);
      });
    }

    for (const [label, value] of [['123', 123], ['"abc"', 'abc'], ['{}', {}]]) {
      it(`read(${label}) -> ERR_INVALID_ARG_TYPE`, async function () {
        await rejectsWithoutSyscall(() => client.read(value), 'ERR_INVALID_ARG_TYPE', track);
      });
    }

    it('the socket is still usable after rejected calls', async function () {
      await assert.rejects(async () => client.write(123), expectCode('ERR_INVALID_ARG_TYPE'));
      await client.write('ok');
      for (let i = 0; i < 200 && Buffer.concat(received).length < 2; i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(Buffer.concat(received).toString(), 'ok');
      const peer = [...srv.sockets][0];
      peer.write('back');
      assert.equal((await withTimeout(readExactly(client, 4), 10000, 'read')).toString(), 'back');
    });
  });
});
