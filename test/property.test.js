'use strict';
// Property test (fast-check): random sequences of public calls on a connected
// pair: writes of random sizes (some with their buffer transferred at once),
// reads with and without a buffer (some aborted, some with their buffer
// transferred while they wait), end, close, GC. Each sequence must:
// - never crash or hang: every promise settles, within a bound;
// - deliver bytes in order: what a side read is exactly what the peer's
//   writes handed to the kernel (a prefix of it when a side was closed);
// - give stats().openSockets back once everything is closed.

const assert = require('node:assert/strict');
const v8 = require('node:v8');
const vm = require('node:vm');
const fc = require('fast-check');
const { afd, withTimeout } = require('./helpers');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const RUNS = afd.backend === 'afd-wine' ? 30 : 100;

const action = fc.oneof(
  fc.record({ op: fc.constant('write'), side: fc.integer({ min: 0, max: 1 }), size: fc.integer({ min: 1, max: 256 * 1024 }), transfer: fc.boolean() }),
  fc.record({ op: fc.constant('read'), side: fc.integer({ min: 0, max: 1 }), into: fc.option(fc.integer({ min: 1, max: 128 * 1024 }), { nil: undefined }), abortMs: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }), transfer: fc.boolean() }),
  fc.record({ op: fc.constant('end'), side: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ op: fc.constant('close'), side: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ op: fc.constant('gc') }),
);

const benign = new Set(['ERR_SOCKET_CLOSED', 'ERR_STREAM_WRITE_AFTER_END', 'ABORT_ERR', 'ERR_INVALID_STATE', 'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ENOTCONN']); // the last four: the peer closed with data unread (a reset)

async function runSequence(actions) {
  const before = afd.stats().openSockets;
  const listener = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
  const accepting = listener.accept();
  const client = await afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port });
  const server = await accepting;
  await listener.close();
  const sides = [client, server].map((socket) => ({ socket, sent: [], got: [], ended: false, closed: false, writes: [] }));
  const settled = [];
  const note = (p) => { settled.push(p.then(() => null, (e) => e)); return p; };
  let reading = [Promise.resolve(), Promise.resolve()]; // one read at a time per side keeps order checkable

  for (const a of actions) {
    if (a.op === 'gc') { gc(); continue; }
    const s = sides[a.side];
    if (a.op === 'write') {
      const data = new Uint8Array(new ArrayBuffer(a.size));
      for (let i = 0; i < a.size; i += 4096) data[i] = (i / 4096 + a.size) & 0xff;
      const copy = Buffer.from(data);
      const p = note(s.socket.write(data));
      const entry = { copy, outcome: p.then(() => a.size, (e) => (Number.isInteger(e.bytesWritten) ? e.bytesWritten : 0)) };
      s.writes.push(entry);
      if (a.transfer) structuredClone(data.buffer, { transfer: [data.buffer] });
    } else if (a.op === 'read') {
      reading[a.side] = reading[a.side].then(async () => {
        const into = a.into === undefined ? undefined : new Uint8Array(new ArrayBuffer(a.into));
        // Every read is bounded by its own abort: an aborted read takes no byte.
        const p = note(s.socket.read(into, { signal: AbortSignal.timeout(a.abortMs ?? 200) }));
        if (a.transfer && into) setImmediate(() => { if (into.byteLength) structuredClone(into.buffer, { transfer: [into.buffer] }); });
        const chunk = await p.catch(() => null);
        if (chunk) s.got.push(Buffer.from(chunk));
      });
      await Promise.race([reading[a.side], new Promise((r) => setTimeout(r, 5))]);
    } else if (a.op === 'end') {
      if (!s.ended) { s.ended = true; note(s.socket.end()); }
    } else if (a.op === 'close') {
      s.closed = true;
      note(s.socket.close());
    }
  }
  // Let the pending reads finish, then end both sides and drain what is left.
  await withTimeout(Promise.all(reading), 20000, 'pending reads');
  for (const s of sides) if (!s.closed && !s.ended) note(s.socket.end());
  await Promise.all(sides.map(async (s) => {
    for (let i = 0; i < 10000 && !s.closed; i++) {
      const chunk = await s.socket.read().catch(() => null);
      if (chunk === null) break;
      s.got.push(chunk);
    }
  }));
  const errors = await withTimeout(Promise.all(settled), 20000, 'every promise settles');
  for (const e of errors) if (e && !benign.has(e.code)) throw e;
  // Bytes in order: each side read exactly (or, with a close, a prefix of) what the peer's writes handed over.
  for (const [i, s] of sides.entries()) {
    const peer = sides[1 - i];
    const taken = await Promise.all(peer.writes.map((w) => w.outcome));
    const expected = Buffer.concat(peer.writes.map((w, k) => w.copy.subarray(0, taken[k])));
    const got = Buffer.concat(s.got);
    if (s.closed || peer.closed) assert.ok(expected.subarray(0, got.length).equals(got), 'a prefix of what was sent');
    else assert.ok(got.equals(expected), `side ${i} read ${got.length} bytes, the peer handed over ${expected.length}`);
  }
  await Promise.all(sides.map((s) => s.socket.close()));
  assert.equal(afd.stats().openSockets, before, 'openSockets back to where it started');
}

describe('property: random call sequences', function () {
  this.timeout(300000);

  it(`${RUNS} random sequences: no crash or hang, bytes in order, every promise settles, sockets released`, async function () {
    await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions) => {
      await runSequence(actions);
    }), { numRuns: RUNS, interruptAfterTimeLimit: 240000 });
  });
});
