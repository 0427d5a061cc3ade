'use strict';
// Shared helpers for the afd-socket mocha suite (Linux native and Windows/Wine).

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const dc = require('node:diagnostics_channel');
const net = require('node:net');
const util = require('node:util');

const afd = require('..');

const TRACE_CHANNEL = 'afd-socket:syscall';
const WINDOWS_BACKENDS = new Set(['afd', 'afd-wine']);
const isWindowsBackend = WINDOWS_BACKENDS.has(afd.backend);
const isWine = afd.backend === 'afd-wine';
const isLinux = process.platform === 'linux';
const isWin32 = process.platform === 'win32';

const KiB = 1024;
const MiB = 1024 * 1024;

// ------------------------------------------------------------------ data

function sha256(data) {
  const h = crypto.createHash('sha256');
  if (Array.isArray(data)) for (const d of data) h.update(d);
  else h.update(data);
  return h.digest('hex');
}

function randomBytes(n) {
  return crypto.randomBytes(n);
}

// Integer in [min, max] (inclusive).
function randomInt(min, max) {
  return crypto.randomInt(min, max + 1);
}

// Chunk size between 1 byte and `max`, log-uniform so that tiny and huge
// chunks both occur often.
function randomChunkSize(max) {
  const bits = Math.log2(max);
  const n = Math.floor(2 ** (Math.random() * bits));
  return Math.max(1, Math.min(max, n));
}

// ------------------------------------------------------------------ timing

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(promise), timeout]).finally(() => clearTimeout(timer));
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const tick = () => new Promise((resolve) => setImmediate(resolve));

// Resolves with 'pending' if `promise` has not settled after `ms` ms, else
// with 'resolved' / 'rejected'.  Never rejects.
async function settledState(promise, ms = 50) {
  let state = 'pending';
  promise.then(() => { state = 'resolved'; }, () => { state = 'rejected'; });
  await delay(ms);
  return state;
}

// ------------------------------------------------------------------ cleanup

// Registers an afterEach hook (call inside describe()) that releases every
// resource handed to the returned `track` function, last first.  Cleanup
// errors are ignored (resources may already be closed), but a close that
// hangs fails the test: that is a real bug.
function useCleanup() {
  const tasks = [];
  afterEach(async function () {
    let hang = null;
    while (tasks.length) {
      const task = tasks.pop();
      try {
        await withTimeout(Promise.resolve().then(task), 15000, 'cleanup close');
      } catch (err) {
        if (/^timed out/.test(err.message) && !hang) hang = err;
      }
    }
    if (hang) throw hang;
  });
  function track(resource) {
    if (typeof resource === 'function') {
      tasks.push(resource);
    } else if (resource instanceof net.Socket) {
      tasks.push(() => resource.destroy());
    } else if (resource instanceof net.Server) {
      tasks.push(() => new Promise((resolve) => resource.close(() => resolve())));
    } else if (resource && typeof resource.close === 'function') {
      tasks.push(() => resource.close());
    } else {
      throw new TypeError('track(): cannot clean up ' + util.inspect(resource));
    }
    return resource;
  }
  return track;
}

// ------------------------------------------------------------------ afd-socket side

// Reads until end of stream.  With `into`, every read goes into that buffer
// (and the bytes are copied out before the next read).
async function readAll(sock, { into } = {}) {
  const chunks = [];
  for (;;) {
    const chunk = into ? await sock.read(into) : await sock.read();
    if (chunk === null) break;
    assert.ok(Buffer.isBuffer(chunk), 'read() must resolve with a Buffer or null');
    chunks.push(into ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}

// Reads exactly n bytes (fails on a premature end of stream).
async function readExactly(sock, n) {
  const chunks = [];
  let got = 0;
  while (got < n) {
    const chunk = await sock.read();
    if (chunk === null) throw new Error(`end of stream after ${got} of ${n} bytes`);
    chunks.push(chunk);
    got += chunk.length;
  }
  const all = Buffer.concat(chunks);
  assert.equal(all.length, n, 'peer sent more bytes than expected');
  return all;
}

// Reads to end of stream, hashing as it goes; returns { hex, bytes }.
async function readHash(sock, { into } = {}) {
  const h = crypto.createHash('sha256');
  let bytes = 0;
  for (;;) {
    const chunk = into ? await sock.read(into) : await sock.read();
    if (chunk === null) break;
    if (into) {
      assert.equal(chunk.buffer, into.buffer, 'read(into) must resolve with a view of `into`');
      assert.equal(chunk.byteOffset, into.byteOffset, 'read(into) view must start at into[0]');
      assert.ok(chunk.length > 0 && chunk.length <= into.length, `bad read length ${chunk.length}`);
    }
    h.update(chunk);
    bytes += chunk.length;
  }
  return { hex: h.digest('hex'), bytes };
}

// Writes `data` in random-sized slices (1 byte .. maxChunk).
async function writeChunked(sock, data, maxChunk) {
  let off = 0;
  let writes = 0;
  while (off < data.length) {
    const n = Math.min(randomChunkSize(maxChunk), data.length - off);
    await sock.write(data.subarray(off, off + n));
    off += n;
    writes++;
  }
  return writes;
}

// Accepts in a loop (for await over the listener) and echoes every
// connection until end of stream, then ends and closes it.
function echoServer(listener) {
  const sockets = new Set();
  const errors = [];
  const conns = [];
  let accepted = 0;
  const done = (async () => {
    for await (const sock of listener) {
      accepted++;
      sockets.add(sock);
      conns.push((async () => {
        try {
          for await (const chunk of sock) await sock.write(chunk);
          await sock.end();
        } catch (err) {
          errors.push(err);
        } finally {
          sockets.delete(sock);
          await sock.close().catch(() => {});
        }
      })());
    }
  })().catch((err) => { errors.push(err); });
  return {
    sockets,
    errors,
    done,
    get accepted() { return accepted; },
    async close() {
      await listener.close().catch(() => {});
      await done;
      await Promise.all([...sockets].map((s) => s.close().catch(() => {})));
      await Promise.all(conns);
    },
  };
}

// ------------------------------------------------------------------ node:net side

// Starts a node:net server (allowHalfOpen: true, so handlers decide when to
// end) and resolves with { server, port, host, sockets, close() }.
async function netListen({ host = '127.0.0.1', port = 0, onConnection } = {}) {
  const sockets = new Set();
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {}); // tests observe errors through their own listeners
    if (onConnection) onConnection(sock);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => { server.off('error', reject); resolve(); });
  });
  return {
    server,
    host,
    port: server.address().port,
    sockets,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// A TCP port on `host` that nothing listens on right now.
async function freePort(host = '127.0.0.1') {
  const { port, close } = await netListen({ host });
  await close();
  return port;
}

// Connects a node:net client; resolves once connected.
function netConnect(port, host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host, allowHalfOpen: true });
    sock.once('error', reject);
    sock.once('connect', () => { sock.off('error', reject); resolve(sock); });
  });
}

// Collects everything a net socket receives until 'end'.
function netReadAll(sock) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    sock.on('data', (d) => chunks.push(d));
    sock.once('end', () => resolve(Buffer.concat(chunks)));
    sock.once('error', reject);
  });
}

// ------------------------------------------------------------------ errors

function errnoFor(code) {
  for (const [errno, [name]] of util.getSystemErrorMap()) {
    if (name === code) return errno;
  }
  throw new Error(`no errno known for ${code}`);
}

// Asserts the shape of a system error produced by the addon.
function assertSysError(err, { code, syscall, address, port }) {
  assert.ok(err instanceof Error, `expected an Error, got ${util.inspect(err)}`);
  assert.equal(err.code, code, `code (message: ${err.message})`);
  assert.equal(err.errno, errnoFor(code), `errno for ${code}`);
  if (syscall !== undefined) assert.equal(err.syscall, syscall, 'syscall');
  if (address !== undefined) assert.equal(err.address, address, 'address');
  if (port !== undefined) assert.equal(err.port, port, 'port');
  if (isWindowsBackend) assertNtError(err);
  else assert.equal(err.ntstatus, undefined, 'ntstatus only on windows backends');
  return true;
}

function assertNtError(err) {
  assert.equal(typeof err.ntstatus, 'number', 'err.ntstatus must be a number on windows backends');
  assert.ok(Number.isInteger(err.ntstatus) && err.ntstatus >= 0 && err.ntstatus <= 0xFFFFFFFF,
    `ntstatus must be an unsigned 32-bit value, got ${err.ntstatus}`);
  assert.equal(err.ntstatus >>> 30, 3, `ntstatus 0x${err.ntstatus.toString(16)} is not an error status`);
}

function isAbortError(err) {
  assert.ok(err instanceof Error, `expected an Error, got ${util.inspect(err)}`);
  assert.equal(err.name, 'AbortError');
  assert.equal(err.code, 'ABORT_ERR');
  return true;
}

function isClosedError(err) {
  assert.ok(err instanceof Error, `expected an Error, got ${util.inspect(err)}`);
  assert.equal(err.code, 'ERR_SOCKET_CLOSED');
  return true;
}

// ------------------------------------------------------------------ trace channel

// Subscribes to the afd-socket:syscall channel; stop() unsubscribes.
function captureTrace() {
  const messages = [];
  const fn = (msg) => messages.push(msg);
  dc.subscribe(TRACE_CHANNEL, fn);
  let stopped = false;
  return {
    messages,
    stop() {
      if (!stopped) { stopped = true; dc.unsubscribe(TRACE_CHANNEL, fn); }
      return messages;
    },
  };
}

// ------------------------------------------------------------------ connected pairs

// AfdSocket client connected to an AfdListener; returns { listener, client, server }.
async function afdPair(track, { host = '127.0.0.1' } = {}) {
  const listener = track(await afd.AfdListener.listen({ host, port: 0 }));
  const { port } = listener.address();
  const [client, server] = await Promise.all([
    afd.AfdSocket.connect({ host, port }),
    listener.accept(),
  ]);
  track(client);
  track(server);
  return { listener, client, server, port };
}

module.exports = {
  afd,
  TRACE_CHANNEL,
  isWindowsBackend,
  isWine,
  isLinux,
  isWin32,
  KiB,
  MiB,
  sha256,
  randomBytes,
  randomInt,
  randomChunkSize,
  withTimeout,
  delay,
  tick,
  settledState,
  useCleanup,
  readAll,
  readExactly,
  readHash,
  writeChunked,
  echoServer,
  netListen,
  freePort,
  netConnect,
  netReadAll,
  errnoFor,
  assertSysError,
  assertNtError,
  isAbortError,
  isClosedError,
  captureTrace,
  afdPair,
};
