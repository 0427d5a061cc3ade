'use strict';
// 15. The afd-socket:syscall diagnostics channel publishes every native call.

const assert = require('node:assert/strict');
const os = require('node:os');
const {
  afd, useCleanup, captureTrace, withTimeout, readExactly, isWindowsBackend, isWine,
} = require('./helpers');

const WIN_SYSCALLS = ['NtCreateFile', 'NtDeviceIoControlFile', 'NtClose', 'NtCancelIoFileEx'];
const LINUX_SYSCALLS = ['socket', 'bind', 'listen', 'accept4', 'connect', 'recv', 'send', 'shutdown',
  'close', 'setsockopt'];

// One listen + connect + accept + write/read + end + close round.
async function round(track) {
  const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
  const { port } = listener.address();
  const [client, server] = await Promise.all([
    afd.AfdSocket.connect({ host: '127.0.0.1', port }),
    listener.accept(),
  ]);
  track(client);
  track(server);
  await client.write('ping');
  assert.equal((await withTimeout(readExactly(server, 4), 10000, 'read')).toString(), 'ping');
  await client.end();
  assert.equal(await withTimeout(server.read(), 10000, 'EOF'), null);
  await client.close();
  await server.close();
  await listener.close();
  return { port };
}

describe('trace channel', function () {
  const track = useCleanup();

  if (isWindowsBackend) {
    it('windows: a listen + connect round publishes NT calls with the documented shape', async function () {
      const trace = captureTrace();
      try {
        await round(track);
      } finally {
        trace.stop();
      }
      const msgs = trace.messages;
      assert.ok(msgs.length >= 8, `only ${msgs.length} messages`);
      for (const m of msgs) {
        // A pending call's completion repeats its message with resumed: true
        // (and a poll's output).
        const extra = m.resumed ? (m.output ? ['output', 'resumed'] : ['resumed']) : [];
        assert.deepEqual(Object.keys(m).sort(), ['code', 'handle', 'information', 'input', 'ioctl', ...extra, 'status', 'syscall', 'us'].sort());
        assert.ok(WIN_SYSCALLS.includes(m.syscall), `unexpected syscall ${m.syscall}`);
        assert.ok(m.ioctl === null || /^IOCTL_AFD_[A-Z0-9_]+$/.test(m.ioctl), `ioctl ${m.ioctl}`);
        assert.ok(Number.isInteger(m.code) && m.code >= 0);
        assert.ok(Number.isInteger(m.handle));
        assert.ok(Number.isInteger(m.status) && m.status >= 0 && m.status <= 0xFFFFFFFF, `status ${m.status}`);
        assert.ok(Buffer.isBuffer(m.input));
        if (m.syscall === 'NtDeviceIoControlFile') {
          assert.equal(typeof m.ioctl, 'string', 'NtDeviceIoControlFile must name its IOCTL');
          assert.ok(m.code > 0);
        }
      }
      // endpoints: listener, client and (unless Wine's IOCTL_AFD_WINE_ACCEPT
      // hands back a new handle itself) the accepted socket
      const creates = msgs.filter((m) => m.syscall === 'NtCreateFile');
      assert.ok(creates.length === 3 || (isWine && creates.length === 2), `NtCreateFile count ${creates.length}`);
      for (const c of creates) {
        assert.equal(c.ioctl, null);
        assert.equal(c.status, 0);
        assert.notEqual(c.handle, 0);
        assert.equal(c.input.toString('latin1', 8, 23), 'AfdOpenPacketXX', 'EA name');
        assert.equal(c.input.readInt32LE(32), 2, 'AF_INET');
      }
      const handles = new Set(creates.map((c) => c.handle));
      assert.equal(handles.size, creates.length);
      // every endpoint handle is closed exactly once, after it was created
      const closes = msgs.filter((m) => m.syscall === 'NtClose');
      assert.ok(new Set(closes.map((c) => c.handle)).size >= 3, 'three endpoints closed');
      for (const h of handles) {
        const mine = closes.filter((c) => c.handle === h);
        assert.equal(mine.length, 1, `NtClose count for handle ${h}`);
        assert.ok(msgs.indexOf(mine[0]) > msgs.findIndex((m) => m.syscall === 'NtCreateFile' && m.handle === h));
      }
      assert.ok(msgs.some((m) => m.ioctl === 'IOCTL_AFD_BIND'), 'no bind traced');
      // the input is a copy, not a live view of native memory
      const first = creates[0].input;
      const snapshot = Buffer.from(first);
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(first.equals(snapshot));
    });
  }

  if (process.platform === 'linux') {
    it('linux: a listen + connect round publishes syscalls with fd/result/errno', async function () {
      const trace = captureTrace();
      try {
        await round(track);
      } finally {
        trace.stop();
      }
      const msgs = trace.messages;
      for (const m of msgs) {
        assert.deepEqual(Object.keys(m).sort(), ['detail', 'errno', 'fd', 'result', 'syscall', 'us']);
        assert.ok(LINUX_SYSCALLS.includes(m.syscall), `unexpected syscall ${m.syscall}`);
        assert.ok(Number.isInteger(m.fd));
        assert.ok(Number.isInteger(m.result));
        assert.ok(Number.isInteger(m.errno) && m.errno >= 0);
        if (m.errno === 0) assert.ok(m.result >= 0, `${m.syscall} result ${m.result} with errno 0`);
        else assert.ok(m.result < 0, `${m.syscall} errno ${m.errno} with result ${m.result}`);
      }
      const names = msgs.map((m) => m.syscall);
      for (const n of ['socket', 'bind', 'listen', 'accept4', 'connect', 'send', 'recv', 'shutdown', 'close']) {
        assert.ok(names.includes(n), `${n} not traced (got ${[...new Set(names)].join(', ')})`);
      }

      // the listener: socket -> bind -> listen on the same fd, all succeeded
      const sockets = msgs.filter((m) => m.syscall === 'socket');
      assert.equal(sockets.length, 2, 'socket() count (listener + client)');
      const listenerFd = sockets[0].result;
      assert.ok(listenerFd > 2);
      const bind = msgs.find((m) => m.syscall === 'bind');
      assert.equal(bind.fd, listenerFd);
      assert.equal(bind.result, 0);
      assert.equal(bind.errno, 0);
      const listen = msgs.find((m) => m.syscall === 'listen');
      assert.equal(listen.fd, listenerFd);
      assert.equal(listen.result, 0);
      assert.ok(names.indexOf('socket') < names.indexOf('bind'));
      assert.ok(names.indexOf('bind') < names.indexOf('listen'));

      // connect on the client fd: success or EINPROGRESS
      const clientFd = sockets[1].result;
      const connect = msgs.find((m) => m.syscall === 'connect');
      assert.equal(connect.fd, clientFd);
      assert.ok(connect.errno === 0 || connect.errno === os.constants.errno.EINPROGRESS,
        `connect errno ${connect.errno}`);

      // accept4 returns a new fd on the listener
      const accepted = msgs.find((m) => m.syscall === 'accept4' && m.result >= 0);
      assert.ok(accepted, 'no successful accept4');
      assert.equal(accepted.fd, listenerFd);
      const serverFd = accepted.result;
      assert.ok(![listenerFd, clientFd].includes(serverFd));

      // send of 'ping' on the client, shutdown of the client
      const send = msgs.find((m) => m.syscall === 'send' && m.result > 0);
      assert.equal(send.fd, clientFd);
      assert.equal(send.result, 4);
      const shutdown = msgs.find((m) => m.syscall === 'shutdown');
      assert.equal(shutdown.fd, clientFd);
      assert.equal(shutdown.result, 0);

      // each of the three fds is closed exactly once
      for (const fd of [listenerFd, clientFd, serverFd]) {
        assert.equal(msgs.filter((m) => m.syscall === 'close' && m.fd === fd).length, 1, `close(${fd}) count`);
      }
    });
  }
});
