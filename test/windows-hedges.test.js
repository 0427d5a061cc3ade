'use strict';
// Issue 12 sections 2 and 3 on the Windows build: the fallback path for an
// endpoint whose data calls pend (run for real under Wine with the
// 'wine-blocking' dialect, whose endpoints stay blocking), the 1 MiB cap per
// send call, SO_KEEPALIVE, and the byte-exact real-Windows socket options.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const {
  afd, useCleanup, withTimeout, captureTrace, afdPair, readExactly, delay, MiB,
} = require('./helpers');

const STATUS_SUCCESS = 0;
const STATUS_PENDING = 0x103;
const STATUS_CANCELLED = 0xC0000120;
const STATUS_INVALID_DEVICE_REQUEST = 0xC0000010;
const AFD_OVERLAPPED = 2;

const wine = afd.backend === 'afd-wine';
const nt = (msgs, name) => msgs.filter((m) => m.syscall === 'NtDeviceIoControlFile' && m.ioctl === name);

// AFD_TL_IO_CONTROL_INFO {Type, Level, Name, EndpointIoctl, buf*, len}: the
// fixed bytes (the pointer at 16 varies).
function assertSockOpt(m, level, name) {
  assert.equal(m.input.length, 32);
  assert.equal(m.input.readUInt32LE(0), 1, 'Type: set');
  assert.equal(m.input.readUInt32LE(4), level, 'Level');
  assert.equal(m.input.readUInt32LE(8), name, 'option');
  assert.equal(m.input.readUInt8(12), 1, 'EndpointIoctl');
  assert.equal(m.input.readBigUInt64LE(24), 4n, 'value length');
}

if (process.platform === 'win32') {
  const internal = require('../dist/internal');
  const DEFAULT_DIALECT = internal.dialect();

  describe('windows: 1 MiB per send call', function () {
    this.timeout(60000);
    const track = useCleanup();
    it('a 12 MiB write goes out in calls of at most 1 MiB, every byte intact', async function () {
      const { client, server } = await afdPair(track);
      const data = crypto.randomBytes(12 * MiB);
      const trace = captureTrace();
      const [, got] = await Promise.all([client.write(data), withTimeout(readExactly(server, data.length), 50000, 'read')]);
      trace.stop();
      assert.ok(got.equals(data));
      const sends = trace.messages.filter((m) => /^IOCTL_AFD_(WINE_SENDMSG|SEND)$/.test(m.ioctl || '') && m.status === STATUS_SUCCESS);
      assert.ok(sends.length >= 12, `${sends.length} send calls for 12 MiB`);
      for (const m of sends) assert.ok(m.information <= MiB, `one send call took ${m.information} bytes`);
    });
  });

  (wine ? describe : describe.skip)('windows: the fallback path, forced under Wine (endpoints left blocking)', function () {
    this.timeout(120000);
    const track = useCleanup();
    afterEach(function () { internal.setDialect(DEFAULT_DIALECT); });

    async function blockingPair() {
      internal.setDialect('wine-blocking');
      const pair = await afdPair(track);
      return pair;
    }

    it('a read that pends is cancelled and awaited, then reads go out overlapped after the poll; 8 MiB both ways intact', async function () {
      const { client, server } = await blockingPair();
      const trace = captureTrace();
      const first = client.read(); // nothing there: the inline receive pends
      await delay(100);
      await server.write(Buffer.from('hello'));
      assert.equal((await withTimeout(first, 10000, 'first read')).toString(), 'hello');
      const up = crypto.randomBytes(8 * MiB);
      const down = crypto.randomBytes(8 * MiB);
      const [, , gotUp, gotDown] = await Promise.all([
        client.write(up), server.write(down),
        withTimeout(readExactly(server, up.length), 60000, 'up'), withTimeout(readExactly(client, down.length), 60000, 'down'),
      ]);
      trace.stop();
      assert.ok(gotUp.equals(up), 'client -> server bytes');
      assert.ok(gotDown.equals(down), 'server -> client bytes');
      const recvs = nt(trace.messages, 'IOCTL_AFD_RECEIVE');
      const pended = recvs.find((m) => !m.resumed && m.status === STATUS_PENDING && m.input.readUInt32LE(12) === 0);
      assert.ok(pended, 'an inline receive (no AFD_OVERLAPPED) pended');
      const cancelIdx = trace.messages.findIndex((m) => m.syscall === 'NtCancelIoFileEx' && m.handle === pended.handle);
      assert.ok(cancelIdx > trace.messages.indexOf(pended), 'and was cancelled at once');
      const resumed = recvs.find((m) => m.resumed && m.handle === pended.handle && m.input.readUInt32LE(12) === 0);
      assert.ok(resumed && resumed.status === STATUS_CANCELLED, 'and completed as cancelled before the call returned');
      assert.ok(recvs.some((m) => m.input.readUInt32LE(12) === AFD_OVERLAPPED), 'later receives go out overlapped');
      const sends = nt(trace.messages, 'IOCTL_AFD_WINE_SENDMSG');
      assert.ok(sends.some((m) => m.input.readInt32LE(16) === 1), 'sends go out overlapped (force_async 1)');
      for (const m of sends) if (m.status === STATUS_SUCCESS) assert.ok(m.information <= MiB);
    });

    it('half-close, abort and EOF on the fallback path', async function () {
      const { client, server } = await blockingPair();
      const ac = new AbortController();
      const aborted = server.read(undefined, { signal: ac.signal });
      await delay(50);
      ac.abort();
      await assert.rejects(withTimeout(aborted, 10000, 'aborted read'), { name: 'AbortError' });
      await client.write(Buffer.from('abc'));
      await client.end();
      assert.equal((await withTimeout(readExactly(server, 3), 10000, 'read')).toString(), 'abc');
      assert.equal(await withTimeout(server.read(), 10000, 'EOF'), null);
      await server.write(Buffer.from('back'));
      assert.equal((await withTimeout(readExactly(client, 4), 10000, 'reply')).toString(), 'back');
    });

    it('peek on a blocking endpoint pends, and is cancelled: the library reports it (STATUS_PENDING)', async function () {
      const { client } = await blockingPair();
      const { native } = require('../dist/binding');
      const io = require('../dist/io');
      const state = native.peek(client.endpoint.ep);
      assert.equal(state, 2 /* Failed */);
      assert.equal(io.lastStatus(), STATUS_PENDING);
    });
  });

  describe('windows: socket options', function () {
    this.timeout(60000);
    const track = useCleanup();
    afterEach(function () { internal.setDialect(DEFAULT_DIALECT); });

    if (wine) {
      it('wine: setKeepAlive is IOCTL_AFD_WINE_SET_SO_KEEPALIVE, and Wine applies it', async function () {
        const { client } = await afdPair(track);
        const s = client.toStream();
        const before = afd.stats().keepAliveFailures;
        const trace = captureTrace();
        s.setKeepAlive(true, 30000);
        s.setKeepAlive(false);
        trace.stop();
        const calls = nt(trace.messages, 'IOCTL_AFD_WINE_SET_SO_KEEPALIVE');
        assert.equal(calls.length, 2);
        assert.equal(calls[0].code, 0x120380);
        assert.equal(calls[0].input.toString('hex'), '01000000');
        assert.equal(calls[1].input.toString('hex'), '00000000');
        for (const m of calls) assert.equal(m.status, STATUS_SUCCESS);
        assert.equal(afd.stats().keepAliveFailures, before);
      });
    }

    it('forced real-Windows dialect: setKeepAlive is SO_KEEPALIVE then TCP_KEEPALIVE (seconds) through IOCTL_AFD_TRANSPORT_IOCTL', async function () {
      const { client } = await afdPair(track);
      const s = client.toStream();
      internal.setDialect('windows');
      const trace = captureTrace();
      s.setKeepAlive(true, 30000);
      trace.stop();
      const calls = nt(trace.messages, 'IOCTL_AFD_TRANSPORT_IOCTL');
      assert.ok(calls.length >= 1);
      assertSockOpt(calls[0], 0xFFFF, 0x0008);
      if (wine) {
        assert.equal(calls[0].status, STATUS_INVALID_DEVICE_REQUEST); // Wine lacks TRANSPORT_IOCTL
      } else {
        assert.equal(calls.length, 2);
        assertSockOpt(calls[1], 6, 3);
        for (const m of calls) assert.equal(m.status, STATUS_SUCCESS);
      }
    });

    it('forced real-Windows dialect: a connect sets SO_REUSE_UNICASTPORT before its wildcard bind', async function () {
      const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
      internal.setDialect('windows');
      const trace = captureTrace();
      const connecting = afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port });
      try {
        if (wine) await assert.rejects(withTimeout(connecting, 20000, 'connect'), (e) => e.ntstatus === STATUS_INVALID_DEVICE_REQUEST);
        else track(await withTimeout(connecting, 20000, 'connect'));
      } finally {
        trace.stop();
      }
      const msgs = trace.messages.filter((m) => m.syscall === 'NtDeviceIoControlFile' && !m.resumed);
      const opt = msgs.findIndex((m) => m.ioctl === 'IOCTL_AFD_TRANSPORT_IOCTL');
      const bind = msgs.findIndex((m) => m.ioctl === 'IOCTL_AFD_BIND');
      assert.ok(opt >= 0 && bind > opt, 'TRANSPORT_IOCTL, then BIND');
      assertSockOpt(msgs[opt], 0xFFFF, 0x3007);
      assert.equal(msgs[bind].status, STATUS_SUCCESS, 'a refused option changes nothing');
    });
  });
}
