'use strict';
// Windows backends: the read/write path's exact IOCTLs. Data moves only in
// inline calls on non-blocking endpoints; waiting is an IOCTL_AFD_POLL whose
// buffers belong to the library. IOCTL_AFD_POLL and IOCTL_AFD_RECEIVE are the
// same on Windows and Wine (Wine implements both), so they run for real here;
// the real-Windows non-blocking switch (IOCTL_AFD_SET_INFORMATION) is forced
// under Wine and checked byte for byte.

const assert = require('node:assert/strict');
const { afd, useCleanup, captureTrace, withTimeout, settledState, readExactly, afdPair } = require('./helpers');

const STATUS_SUCCESS = 0;
const STATUS_PENDING = 0x103;
const STATUS_DEVICE_NOT_READY = 0xC00000A3;
const STATUS_INVALID_DEVICE_REQUEST = 0xC0000010;
const IOCTL_AFD_RECEIVE = 0x12017;
const IOCTL_AFD_POLL = 0x12024;
const IOCTL_AFD_SET_INFORMATION = 0x1203B;
const IOCTL_AFD_WINE_SENDMSG = 0x120338;
const IOCTL_AFD_WINE_FIONBIO = 0x120344;
const AFD_POLL_RECEIVE = 0x1;
const AFD_POLL_DISCONNECT = 0x8;
const AFD_POLL_ABORT = 0x10;
const AFD_POLL_LOCAL_CLOSE = 0x20;
const AFD_NONBLOCKING_MODE = 2; // AFD_INFORMATION.InformationType (phnt ntafd.h; ReactOS AFD_INFO_BLOCKING_MODE)
const TDI_RECEIVE_NORMAL = 0x20;

const ioctls = (msgs, name) => msgs.filter((m) => m.syscall === 'NtDeviceIoControlFile' && m.ioctl === name);
const wine = afd.backend === 'afd-wine';

if (process.platform === 'win32') {
  const internal = require('../dist/internal');
  const DEFAULT_DIALECT = internal.dialect();

  // The 'wine-blocking' pass (scripts/test-windows.sh) leaves endpoints
  // blocking on purpose: these byte checks are for the non-blocking dialects.
  const describeNonBlocking = DEFAULT_DIALECT === 'wine-blocking' ? describe.skip : describe;
  describeNonBlocking('windows: inline receive, IOCTL_AFD_POLL waits, non-blocking endpoints', function () {
    this.timeout(60000);
    const track = useCleanup();
    afterEach(function () { internal.setDialect(DEFAULT_DIALECT); });

    it('a read with no data: IOCTL_AFD_RECEIVE without AFD_OVERLAPPED says not ready, then an IOCTL_AFD_POLL waits', async function () {
      const { client, server } = await afdPair(track);
      const trace = captureTrace();
      let pending;
      try {
        pending = server.read();
        assert.equal(await settledState(pending, 50), 'pending');
      } finally {
        trace.stop();
      }
      const [recv] = ioctls(trace.messages, 'IOCTL_AFD_RECEIVE');
      assert.ok(recv, 'no IOCTL_AFD_RECEIVE traced');
      assert.equal(recv.code, IOCTL_AFD_RECEIVE);
      assert.equal(recv.status, STATUS_DEVICE_NOT_READY);
      assert.equal(recv.input.length, 24);
      assert.notEqual(recv.input.readBigUInt64LE(0), 0n, 'WSABUF array pointer');
      assert.equal(recv.input.readUInt32LE(8), 1, 'BufferCount');
      assert.equal(recv.input.readUInt32LE(12), 0, 'AfdFlags: no AFD_OVERLAPPED, so it cannot pend');
      assert.equal(recv.input.readUInt32LE(16), TDI_RECEIVE_NORMAL, 'TdiFlags');

      const poll = ioctls(trace.messages, 'IOCTL_AFD_POLL');
      assert.equal(poll.length, 1, 'one poll');
      const p = poll[0];
      assert.equal(p.code, IOCTL_AFD_POLL);
      assert.equal(p.handle, recv.handle, 'the poll is issued on the endpoint itself');
      assert.equal(p.status, STATUS_PENDING);
      assert.equal(p.input.length, 32, 'AFD_POLL_INFO with one handle');
      assert.equal(p.input.readBigInt64LE(0), 0x7fffffffffffffffn, 'Timeout: none');
      assert.equal(p.input.readUInt32LE(8), 1, 'NumberOfHandles');
      assert.equal(p.input.readUInt32LE(12), 0, 'Exclusive');
      assert.equal(Number(p.input.readBigUInt64LE(16)), recv.handle, 'Handles[0].Handle');
      assert.equal(p.input.readUInt32LE(24), AFD_POLL_RECEIVE | AFD_POLL_DISCONNECT | AFD_POLL_ABORT | AFD_POLL_LOCAL_CLOSE,
        'Handles[0].Events');
      assert.equal(p.input.readInt32LE(28), 0, 'Handles[0].Status');

      // The poll completes when data comes, and the read then receives inline.
      const after = captureTrace();
      try {
        await client.write('wake');
        assert.equal(String(await withTimeout(pending, 20000, 'read')), 'wake');
      } finally {
        after.stop();
      }
      const recvs = ioctls(after.messages, 'IOCTL_AFD_RECEIVE');
      assert.ok(recvs.some((m) => m.status === STATUS_SUCCESS), 'an inline receive took the data');
    });

    if (wine) {
      it('wine dialect: connected and accepted endpoints are made non-blocking with IOCTL_AFD_WINE_FIONBIO; sends never force async', async function () {
        const trace = captureTrace();
        let pair;
        try {
          pair = await afdPair(track);
          await pair.client.write('abc');
          assert.equal(String(await withTimeout(readExactly(pair.server, 3), 20000, 'read')), 'abc');
        } finally {
          trace.stop();
        }
        const fionbio = ioctls(trace.messages, 'IOCTL_AFD_WINE_FIONBIO');
        assert.equal(fionbio.length, 2, 'one for the connected client, one for the accepted server side');
        for (const m of fionbio) {
          assert.equal(m.code, IOCTL_AFD_WINE_FIONBIO);
          assert.equal(m.status, STATUS_SUCCESS);
          assert.equal(m.input.length, 4);
          assert.equal(m.input.readInt32LE(0), 1);
        }
        const send = ioctls(trace.messages, 'IOCTL_AFD_WINE_SENDMSG')[0];
        assert.equal(send.code, IOCTL_AFD_WINE_SENDMSG);
        assert.equal(send.status, STATUS_SUCCESS);
        assert.equal(send.input.readInt32LE(16), 0, 'force_async 0: an inline send');
        assert.equal(send.input.readUInt32LE(20), 1, 'one WSABUF');
        assert.deepEqual(ioctls(trace.messages, 'IOCTL_AFD_SET_INFORMATION'), []);
      });
    }

    it('windows dialect: a connected endpoint is made non-blocking with IOCTL_AFD_SET_INFORMATION (AFD_NONBLOCKING_MODE, TRUE)', async function () {
      const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
      const accepting = listener.accept().then(track, () => {});
      const trace = captureTrace();
      try {
        // Under Wine the connect itself must use Wine's IOCTL; the dialect is
        // forced while it is pending, so its completion takes the real path.
        const connecting = afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port });
        internal.setDialect('windows');
        if (wine) {
          await assert.rejects(withTimeout(connecting, 20000, 'connect'), (e) => e.ntstatus === STATUS_INVALID_DEVICE_REQUEST);
        } else {
          track(await withTimeout(connecting, 20000, 'connect'));
        }
      } finally {
        trace.stop();
        internal.setDialect(DEFAULT_DIALECT);
      }
      await accepting;
      const set = ioctls(trace.messages, 'IOCTL_AFD_SET_INFORMATION');
      assert.equal(set.length, 1, 'one IOCTL_AFD_SET_INFORMATION');
      const m = set[0];
      assert.equal(m.code, IOCTL_AFD_SET_INFORMATION);
      const expected = Buffer.alloc(16);
      expected.writeUInt32LE(AFD_NONBLOCKING_MODE, 0);
      expected.writeUInt8(1, 8); // Information.Boolean = TRUE
      assert.equal(m.input.toString('hex'), expected.toString('hex'));
      if (wine) assert.equal(m.status, STATUS_INVALID_DEVICE_REQUEST);
      else assert.equal(m.status, STATUS_SUCCESS);
      assert.deepEqual(ioctls(trace.messages, 'IOCTL_AFD_WINE_FIONBIO'), []);
    });
  });
}
