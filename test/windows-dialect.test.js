'use strict';
// 13. Byte-exact checks of the AFD IOCTL inputs, with the dialect forced to
//     the real Windows one.  Under Wine (backend 'afd-wine') the real
//     connect/accept/send/shutdown IOCTLs are not implemented and fail with
//     STATUS_INVALID_DEVICE_REQUEST; on real Windows (backend 'afd') they
//     succeed.  Either way the bytes handed to NtDeviceIoControlFile must be
//     exactly what Windows' own msafd would send.

const assert = require('node:assert/strict');
const {
  afd, useCleanup, captureTrace, withTimeout, readExactly, netListen, netConnect, tick, afdPair,
} = require('./helpers');

// ------------------------------------------------------------- expected values
const STATUS_SUCCESS = 0x0;
const STATUS_PENDING = 0x103;
const STATUS_INVALID_DEVICE_REQUEST = 0xC0000010;

const IOCTL_AFD_BIND = 0x12003;
const IOCTL_AFD_CONNECT = 0x12007;
const IOCTL_AFD_WAIT_FOR_LISTEN = 0x1200C;
const IOCTL_AFD_SEND = 0x1201F;
const IOCTL_AFD_PARTIAL_DISCONNECT = 0x1202B;
const IOCTL_AFD_TRANSPORT_IOCTL = 0x120BF;
const IOCTL_AFD_WINE_CREATE = 0x120320;
const IOCTL_AFD_WINE_ACCEPT = 0x120324;
const IOCTL_AFD_WINE_CONNECT = 0x12032C;
const IOCTL_AFD_WINE_SHUTDOWN = 0x120330;
const IOCTL_AFD_WINE_SENDMSG = 0x120338;
const IOCTL_AFD_WINE_SET_TCP_NODELAY = 0x120474;

// AFD_SEND_INFO flags for a plain send()
const SEND_AFD_FLAGS = 0; // no AFD_OVERLAPPED: an inline send on a non-blocking endpoint, never pending
const SEND_TDI_FLAGS = 0;

const AF_INET = 2;
const AF_INET6 = 23; // Windows value
const SOCK_STREAM = 1;
const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;
const AFD_SHARE = { unique: 0, reuse: 1, wildcard: 2, exclusive: 3 };
const AFD_PARTIAL_DISCONNECT_SEND = 1;

// ------------------------------------------------------------- byte builders
function ipv4Bytes(ip) {
  return Buffer.from(ip.split('.').map(Number));
}
function ipv6Bytes(ip) {
  const table = {
    '::': Buffer.alloc(16),
    '::1': Buffer.concat([Buffer.alloc(15), Buffer.from([1])]),
  };
  assert.ok(table[ip], `test helper only knows :: and ::1, not ${ip}`);
  return table[ip];
}
function sockaddrIn(ip, port) {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  ipv4Bytes(ip).copy(b, 4);
  return b;
}
function sockaddrIn6(ip, port) {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  b.writeUInt16BE(port, 2);
  b.writeUInt32LE(0, 4); // flowinfo
  ipv6Bytes(ip).copy(b, 8);
  b.writeUInt32LE(0, 24); // scope id
  return b;
}
function bindInput(share, sockaddr) {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(share, 0);
  return Buffer.concat([head, sockaddr]);
}
function connectInput(sockaddr) {
  return Buffer.concat([Buffer.alloc(24), sockaddr]);
}

const hex = (b) => Buffer.from(b).toString('hex');

// ------------------------------------------------------------- trace helpers
function ntIoctls(messages, name) {
  return messages.filter((m) => m.syscall === 'NtDeviceIoControlFile' && m.ioctl === name);
}
function onlyOne(list, what) {
  assert.equal(list.length, 1, `expected exactly one ${what}, got ${list.length}`);
  return list[0];
}
function assertMessageShape(m) {
  assert.ok(['NtCreateFile', 'NtDeviceIoControlFile', 'NtClose', 'NtCancelIoFileEx'].includes(m.syscall),
    `unknown syscall ${m.syscall}`);
  assert.ok(m.ioctl === null || typeof m.ioctl === 'string');
  assert.equal(typeof m.code, 'number');
  assert.equal(typeof m.handle, 'number');
  assert.ok(Number.isInteger(m.status) && m.status >= 0 && m.status <= 0xFFFFFFFF, `status ${m.status}`);
  assert.ok(Buffer.isBuffer(m.input));
}

// Checks an NtCreateFile EA buffer (FILE_FULL_EA_INFORMATION + AFD open packet).
function assertOpenPacket(input, family) {
  assert.ok(input.length >= 48, `EA buffer only ${input.length} bytes`);
  assert.equal(input.readUInt32LE(0), 0, 'NextEntryOffset');
  assert.equal(input.readUInt8(4), 0, 'Flags');
  assert.equal(input.readUInt8(5), 15, 'EaNameLength');
  const valueLength = input.readUInt16LE(6);
  assert.ok(valueLength >= 24 && 24 + valueLength <= input.length, `EaValueLength ${valueLength}`);
  assert.equal(input.toString('latin1', 8, 23), 'AfdOpenPacketXX');
  assert.equal(input[23], 0, 'EA name terminator');
  assert.equal(input.readInt32LE(28), 0, 'GroupID');
  assert.equal(input.readInt32LE(32), family, 'AddressFamily');
  assert.equal(input.readInt32LE(36), SOCK_STREAM, 'SocketType');
  assert.equal(input.readInt32LE(40), IPPROTO_TCP, 'Protocol');
  assert.equal(input.readUInt32LE(44), 0, 'TransportDeviceNameLength');
}

// The NtCreateFile of an endpoint and, under Wine, its IOCTL_AFD_WINE_CREATE.
function assertEndpointCreation(messages, family) {
  const creates = messages.filter((m) => m.syscall === 'NtCreateFile');
  assert.ok(creates.length >= 1, 'no NtCreateFile traced');
  const create = creates[0];
  assertMessageShape(create);
  assert.equal(create.ioctl, null);
  assert.notEqual(create.handle, 0, 'NtCreateFile must report the new handle');
  assert.equal(create.status, STATUS_SUCCESS);
  assertOpenPacket(create.input, family);
  if (afd.backend === 'afd-wine') {
    const idx = messages.indexOf(create);
    const wineCreate = messages.slice(idx + 1)
      .find((m) => m.ioctl === 'IOCTL_AFD_WINE_CREATE' && m.handle === create.handle);
    assert.ok(wineCreate, 'IOCTL_AFD_WINE_CREATE must follow NtCreateFile under Wine');
    assert.equal(wineCreate.code, IOCTL_AFD_WINE_CREATE);
    assert.equal(wineCreate.status, STATUS_SUCCESS);
    // struct afd_create_params { int family, type, protocol; unsigned int flags; }
    assert.ok(wineCreate.input.length >= 16);
    assert.equal(wineCreate.input.readInt32LE(0), family);
    assert.equal(wineCreate.input.readInt32LE(4), SOCK_STREAM);
    assert.equal(wineCreate.input.readInt32LE(8), IPPROTO_TCP);
  } else {
    assert.deepEqual(messages.filter((m) => m.ioctl === 'IOCTL_AFD_WINE_CREATE'), [],
      'IOCTL_AFD_WINE_CREATE must not be sent on real Windows');
  }
  return create;
}

const wine = afd.backend === 'afd-wine';

// On real Windows the real IOCTLs work; under Wine they fail.
function assertForcedStatus(m) {
  if (wine) assert.equal(m.status, STATUS_INVALID_DEVICE_REQUEST, `status 0x${m.status.toString(16)}`);
  else assert.ok(m.status === STATUS_SUCCESS || m.status === STATUS_PENDING, `status 0x${m.status.toString(16)}`);
}
function isInvalidDeviceRequest(err) {
  assert.ok(err instanceof Error, `expected an Error, got ${err}`);
  assert.equal(err.ntstatus, STATUS_INVALID_DEVICE_REQUEST,
    `ntstatus 0x${Number(err.ntstatus).toString(16)} (${err.code})`);
  return true;
}

if (process.platform === 'win32') {
  const internal = require('../dist/internal');
  const DEFAULT_DIALECT = internal.dialect();

  describe('windows: dialect hook', function () {
    afterEach(function () { internal.setDialect(DEFAULT_DIALECT); });

    it('the detected dialect matches the backend', function () {
      assert.equal(DEFAULT_DIALECT, process.env.AFD_SOCKET_DIALECT || (wine ? 'wine' : 'windows'));
    });

    it('setDialect switches and dialect() reports it; bad names throw', function () {
      internal.setDialect('windows');
      assert.equal(internal.dialect(), 'windows');
      internal.setDialect('wine-blocking');
      assert.equal(internal.dialect(), 'wine-blocking');
      internal.setDialect('wine');
      assert.equal(internal.dialect(), 'wine');
      assert.throws(() => internal.setDialect('bogus'));
      assert.equal(internal.dialect(), 'wine');
    });
  });

  describe('windows: forced real-Windows dialect IOCTL inputs', function () {
    this.timeout(60000);
    const track = useCleanup();
    afterEach(function () { internal.setDialect(DEFAULT_DIALECT); });

    it('endpoint creation: NtCreateFile EA open packet for IPv4 and IPv6', async function () {
      for (const [host, family] of [['127.0.0.1', AF_INET], ['::1', AF_INET6]]) {
        const trace = captureTrace();
        let listener;
        try {
          listener = track(await afd.AfdListener.listen({ host, port: 0 }));
        } finally {
          trace.stop();
        }
        trace.messages.forEach(assertMessageShape);
        assertEndpointCreation(trace.messages, family);
        assert.ok(listener.address().port > 0);
      }
    });

    for (const [share, value] of Object.entries(AFD_SHARE)) {
      it(`ephemeral listener bind: share "${share}" -> ${value}, sockaddr 127.0.0.1:0`, async function () {
        const trace = captureTrace();
        let listener;
        try {
          listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0, share }));
        } finally {
          trace.stop();
        }
        const create = assertEndpointCreation(trace.messages, AF_INET);
        const bind = ntIoctls(trace.messages, 'IOCTL_AFD_BIND')[0];
        assert.ok(bind, 'no IOCTL_AFD_BIND traced');
        assert.equal(bind.code, IOCTL_AFD_BIND);
        assert.equal(bind.handle, create.handle);
        assert.equal(hex(bind.input), hex(bindInput(value, sockaddrIn('127.0.0.1', 0))));
        assert.ok(listener.address().port > 0);
      });
    }

    it('ephemeral listener bind on ::1: sockaddr_in6 at offset 4', async function () {
      const trace = captureTrace();
      try {
        track(await afd.AfdListener.listen({ host: '::1', port: 0, share: 'unique' }));
      } finally {
        trace.stop();
      }
      const bind = ntIoctls(trace.messages, 'IOCTL_AFD_BIND')[0];
      assert.ok(bind, 'no IOCTL_AFD_BIND traced');
      assert.equal(hex(bind.input), hex(bindInput(AFD_SHARE.unique, sockaddrIn6('::1', 0))));
    });

    for (const [host, family, sockaddr] of [
      ['127.0.0.1', AF_INET, sockaddrIn], ['::1', AF_INET6, sockaddrIn6],
    ]) {
      it(`connect to ${host}: IOCTL_AFD_BIND (wildcard, any:0) then IOCTL_AFD_CONNECT`, async function () {
        const srv = await netListen({ host });
        track(() => srv.close());
        internal.setDialect('windows');
        const trace = captureTrace();
        try {
          const p = afd.AfdSocket.connect({ host, port: srv.port });
          if (wine) await assert.rejects(withTimeout(p, 20000, 'connect'), isInvalidDeviceRequest);
          else track(await withTimeout(p, 20000, 'connect'));
        } finally {
          trace.stop();
        }
        const msgs = trace.messages;
        msgs.forEach(assertMessageShape);
        const create = assertEndpointCreation(msgs, family);

        const bind = onlyOne(ntIoctls(msgs, 'IOCTL_AFD_BIND'), 'IOCTL_AFD_BIND');
        assert.equal(bind.code, IOCTL_AFD_BIND);
        assert.equal(bind.handle, create.handle);
        assert.equal(bind.status, STATUS_SUCCESS);
        const anyAddr = family === AF_INET ? sockaddrIn('0.0.0.0', 0) : sockaddrIn6('::', 0);
        assert.equal(hex(bind.input), hex(bindInput(AFD_SHARE.wildcard, anyAddr)));

        const connect = onlyOne(ntIoctls(msgs, 'IOCTL_AFD_CONNECT'), 'IOCTL_AFD_CONNECT');
        assert.equal(connect.code, IOCTL_AFD_CONNECT);
        assert.equal(connect.handle, create.handle);
        assert.ok(msgs.indexOf(bind) < msgs.indexOf(connect), 'bind must precede connect');
        assert.equal(connect.input.length, family === AF_INET ? 40 : 52);
        assert.equal(hex(connect.input), hex(connectInput(sockaddr(host, srv.port))));
        assertForcedStatus(connect);
        assert.deepEqual(ntIoctls(msgs, 'IOCTL_AFD_WINE_CONNECT'), []);
      });
    }

    it('accept: IOCTL_AFD_WAIT_FOR_LISTEN with an empty input', async function () {
      const setup = captureTrace();
      let listener;
      try {
        listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
      } finally {
        setup.stop();
      }
      const create = assertEndpointCreation(setup.messages, AF_INET);
      internal.setDialect('windows');
      const trace = captureTrace();
      try {
        const p = listener.accept();
        if (wine) {
          await assert.rejects(withTimeout(p, 20000, 'accept'), isInvalidDeviceRequest);
        } else {
          const client = track(await netConnect(listener.address().port));
          const server = track(await withTimeout(p, 20000, 'accept'));
          assert.equal(server.remotePort, client.localPort);
        }
      } finally {
        trace.stop();
      }
      const wait = ntIoctls(trace.messages, 'IOCTL_AFD_WAIT_FOR_LISTEN')[0];
      assert.ok(wait, 'no IOCTL_AFD_WAIT_FOR_LISTEN traced');
      assertMessageShape(wait);
      assert.equal(wait.code, IOCTL_AFD_WAIT_FOR_LISTEN);
      assert.equal(wait.handle, create.handle);
      assert.equal(wait.input.length, 0);
      assertForcedStatus(wait);
      assert.deepEqual(ntIoctls(trace.messages, 'IOCTL_AFD_WINE_ACCEPT'), []);
    });

    // A pair connected in the detected dialect, then the dialect is forced.
    async function forcedPair() {
      const trace = captureTrace();
      let pair;
      try {
        pair = await afdPair(track);
      } finally {
        trace.stop();
      }
      const connects = trace.messages.filter((m) => !m.resumed && /^IOCTL_AFD_(WINE_)?CONNECT$/.test(m.ioctl || ''));
      const clientHandle = onlyOne(connects, 'connect IOCTL').handle;
      internal.setDialect('windows');
      return { ...pair, clientHandle };
    }

    it('send: IOCTL_AFD_SEND with an AFD_SEND_INFO of one WSABUF', async function () {
      const { client, server, clientHandle } = await forcedPair();
      const trace = captureTrace();
      try {
        const p = client.write('x');
        if (wine) await assert.rejects(withTimeout(p, 20000, 'write'), isInvalidDeviceRequest);
        else {
          await withTimeout(p, 20000, 'write');
          assert.equal((await withTimeout(readExactly(server, 1), 20000, 'read')).toString(), 'x');
        }
      } finally {
        trace.stop();
      }
      const send = onlyOne(ntIoctls(trace.messages, 'IOCTL_AFD_SEND'), 'IOCTL_AFD_SEND');
      assertMessageShape(send);
      assert.equal(send.code, IOCTL_AFD_SEND);
      assert.equal(send.handle, clientHandle);
      assert.equal(send.input.length, 24);
      assert.notEqual(send.input.readBigUInt64LE(0), 0n, 'WSABUF array pointer');
      assert.equal(send.input.readUInt32LE(8), 1, 'BufferCount');
      assert.equal(send.input.readUInt32LE(12), SEND_AFD_FLAGS, 'AfdFlags');
      assert.equal(send.input.readUInt32LE(16), SEND_TDI_FLAGS, 'TdiFlags');
      assert.equal(send.input.readUInt32LE(20), 0, 'padding');
      assertForcedStatus(send);
      assert.deepEqual(ntIoctls(trace.messages, 'IOCTL_AFD_WINE_SENDMSG'), []);
    });

    it('shutdown: IOCTL_AFD_PARTIAL_DISCONNECT (send side, infinite timeout)', async function () {
      const { client, server, clientHandle } = await forcedPair();
      const trace = captureTrace();
      try {
        const p = client.end();
        if (wine) await assert.rejects(withTimeout(p, 20000, 'end'), isInvalidDeviceRequest);
        else {
          await withTimeout(p, 20000, 'end');
          assert.equal(await withTimeout(server.read(), 20000, 'EOF on peer'), null);
        }
      } finally {
        trace.stop();
      }
      const disc = onlyOne(ntIoctls(trace.messages, 'IOCTL_AFD_PARTIAL_DISCONNECT'), 'IOCTL_AFD_PARTIAL_DISCONNECT');
      assertMessageShape(disc);
      assert.equal(disc.code, IOCTL_AFD_PARTIAL_DISCONNECT);
      assert.equal(disc.handle, clientHandle);
      const expected = Buffer.alloc(16);
      expected.writeUInt32LE(AFD_PARTIAL_DISCONNECT_SEND, 0);
      expected.writeBigInt64LE(-1n, 8);
      assert.equal(hex(disc.input), hex(expected));
      assertForcedStatus(disc);
      assert.deepEqual(ntIoctls(trace.messages, 'IOCTL_AFD_WINE_SHUTDOWN'), []);
    });

    it('setNoDelay: IOCTL_AFD_TRANSPORT_IOCTL setting IPPROTO_TCP/TCP_NODELAY', async function () {
      const { client, clientHandle } = await forcedPair();
      const failuresBefore = afd.stats().noDelayFailures;
      const trace = captureTrace();
      try {
        assert.equal(client.setNoDelay(true), client, 'setNoDelay returns this');
        await tick();
      } finally {
        trace.stop();
      }
      // It does not throw (as in node:net), but a refusal is counted.
      assert.equal(afd.stats().noDelayFailures - failuresBefore, wine ? 1 : 0);
      const t = onlyOne(ntIoctls(trace.messages, 'IOCTL_AFD_TRANSPORT_IOCTL'), 'IOCTL_AFD_TRANSPORT_IOCTL');
      assertMessageShape(t);
      assert.equal(t.code, IOCTL_AFD_TRANSPORT_IOCTL);
      assert.equal(t.handle, clientHandle);
      assert.equal(t.input.length, 32);
      assert.equal(t.input.readUInt32LE(0), 1, 'Type (set sockopt)');
      assert.equal(t.input.readUInt32LE(4), IPPROTO_TCP, 'Level');
      assert.equal(t.input.readUInt32LE(8), TCP_NODELAY, 'IoControlCode / option');
      assert.equal(t.input.readUInt8(12), 1, 'EndpointIoctl');
      assert.equal(hex(t.input.subarray(13, 16)), '000000', 'padding');
      assert.notEqual(t.input.readBigUInt64LE(16), 0n, 'pointer to the option value');
      assert.equal(t.input.readBigUInt64LE(24), 4n, 'option length');
      if (wine) assert.equal(t.status, STATUS_INVALID_DEVICE_REQUEST);
      assert.deepEqual(ntIoctls(trace.messages, 'IOCTL_AFD_WINE_SET_TCP_NODELAY'), []);
    });
  });

  if (afd.backend === 'afd-wine') {
    describe('windows: Wine dialect IOCTLs (afd-wine)', function () {
      const track = useCleanup();
      afterEach(function () { internal.setDialect(DEFAULT_DIALECT); });

      it('connect/accept/send/shutdown use the Wine private IOCTLs and work', async function () {
        internal.setDialect('wine');
        const trace = captureTrace();
        try {
          const { client, server } = await afdPair(track);
          await client.write('abc');
          assert.equal((await withTimeout(readExactly(server, 3), 20000, 'read')).toString(), 'abc');
          await client.end();
          assert.equal(await withTimeout(server.read(), 20000, 'EOF'), null);
        } finally {
          trace.stop();
        }
        const m = trace.messages;
        m.forEach(assertMessageShape);
        for (const [name, code] of [
          ['IOCTL_AFD_WINE_CONNECT', IOCTL_AFD_WINE_CONNECT],
          ['IOCTL_AFD_WINE_ACCEPT', IOCTL_AFD_WINE_ACCEPT],
          ['IOCTL_AFD_WINE_SENDMSG', IOCTL_AFD_WINE_SENDMSG],
          ['IOCTL_AFD_WINE_SHUTDOWN', IOCTL_AFD_WINE_SHUTDOWN],
        ]) {
          const found = ntIoctls(m, name);
          assert.ok(found.length >= 1, `${name} not traced`);
          for (const f of found) assert.equal(f.code, code, `${name} code`);
        }
        for (const name of ['IOCTL_AFD_CONNECT', 'IOCTL_AFD_WAIT_FOR_LISTEN', 'IOCTL_AFD_SEND',
          'IOCTL_AFD_PARTIAL_DISCONNECT']) {
          assert.deepEqual(ntIoctls(m, name), [], `${name} must not be used in the wine dialect`);
        }
      });

      it('setNoDelay uses IOCTL_AFD_WINE_SET_TCP_NODELAY', async function () {
        internal.setDialect('wine');
        const { client } = await afdPair(track);
        const trace = captureTrace();
        try {
          assert.equal(client.setNoDelay(false), client);
          await tick();
        } finally {
          trace.stop();
        }
        const t = onlyOne(ntIoctls(trace.messages, 'IOCTL_AFD_WINE_SET_TCP_NODELAY'), 'IOCTL_AFD_WINE_SET_TCP_NODELAY');
        assert.equal(t.code, IOCTL_AFD_WINE_SET_TCP_NODELAY);
        assert.equal(t.status, STATUS_SUCCESS);
        assert.deepEqual(ntIoctls(trace.messages, 'IOCTL_AFD_TRANSPORT_IOCTL'), []);
      });
    });
  }
}

if (process.platform === 'linux') {
  describe('linux: internal dialect hook', function () {
    it('setDialect throws on Linux', function () {
      const internal = require('../dist/internal');
      assert.throws(() => internal.setDialect('windows'));
      assert.throws(() => internal.setDialect('wine'));
    });
  });
}
