'use strict';
// Issue 12 section 1: a read and a write parked together on one socket. On
// real Windows two IOCTL_AFD_POLLs for one socket lose events (trio, wepoll
// #35), so the Windows backend keeps at most one per endpoint, for the union
// of its waiters' events. The scenario runs on every backend; on the AFD
// backends the trace channel also shows that no socket ever had two polls in
// the kernel at once.

const assert = require('node:assert/strict');
const http = require('node:http');
const crypto = require('node:crypto');
const {
  afd, useCleanup, withTimeout, captureTrace, afdPair, isWindowsBackend, MiB, delay,
} = require('./helpers');

const AFD_POLL_RECEIVE = 0x1;
const AFD_POLL_SEND = 0x4;
const STATUS_PENDING = 0x103;

// Replays the trace: +1 for a poll that returned STATUS_PENDING, -1 for its
// resumed message. Returns the most polls one handle had in the kernel at
// once, and the event masks of the polls that pended.
function pollsInFlight(messages) {
  const inFlight = new Map();
  let most = 0;
  const pendedMasks = [];
  for (const m of messages) {
    if (m.ioctl !== 'IOCTL_AFD_POLL') continue;
    const handle = m.input.length >= 24 ? Number(m.input.readBigUInt64LE(16)) : m.handle;
    if (m.resumed) {
      inFlight.set(handle, (inFlight.get(handle) || 0) - 1);
      assert.ok(inFlight.get(handle) >= 0, `a poll on ${handle} resumed that never pended`);
    } else if (m.status === STATUS_PENDING) {
      const n = (inFlight.get(handle) || 0) + 1;
      inFlight.set(handle, n);
      most = Math.max(most, n);
      pendedMasks.push(m.input.readUInt32LE(24));
    }
  }
  return { most, pendedMasks };
}

describe('one poll per socket: a read and a write parked together', function () {
  this.timeout(120000);
  const track = useCleanup();

  it('a parked read wakes while a 64 MiB write waits for room on the same socket', async function () {
    const { client, server } = await afdPair(track);
    const trace = captureTrace();
    const payload = crypto.randomBytes(64 * MiB);
    let written = false;
    const write = client.write(payload).then(() => { written = true; });
    await delay(200); // the peer does not read: the write parks
    assert.equal(written, false, 'the write should wait for room (the peer reads nothing)');
    const read = client.read();
    await delay(100);
    await server.write(Buffer.from([0x5a]));
    const got = await withTimeout(read, 10000, 'the parked read');
    trace.stop();
    assert.deepEqual([...got], [0x5a]);
    // Drain the write: every byte arrives, in order.
    const hash = crypto.createHash('sha256');
    let total = 0;
    while (total < payload.length) {
      const chunk = await withTimeout(server.read(), 20000, 'drain');
      assert.ok(chunk, 'EOF before the whole write');
      hash.update(chunk);
      total += chunk.length;
    }
    await withTimeout(write, 20000, 'the write');
    assert.equal(total, payload.length);
    assert.equal(hash.digest('hex'), crypto.createHash('sha256').update(payload).digest('hex'));
    if (isWindowsBackend) {
      const { most, pendedMasks } = pollsInFlight(trace.messages);
      assert.equal(most, 1, `a socket had ${most} polls in the kernel at once`);
      // (On the fallback path a write waits for its overlapped send, not a poll.)
      if (process.env.AFD_SOCKET_DIALECT !== 'wine-blocking') assert.ok(pendedMasks.some((e) => (e & AFD_POLL_RECEIVE) && (e & AFD_POLL_SEND)),
        `no poll waited for both RECEIVE and SEND: ${pendedMasks.map((e) => e.toString(16))}`);
    }
  });

  it('two reads and an abort on one socket: the live read still gets the byte', async function () {
    const { client, server } = await afdPair(track);
    const trace = captureTrace();
    const ac = new AbortController();
    const aborted = client.read(undefined, { signal: ac.signal });
    await delay(50);
    ac.abort();
    await assert.rejects(withTimeout(aborted, 10000, 'aborted read'), { name: 'AbortError' });
    const read = client.read();
    await delay(50);
    await server.write(Buffer.from('k'));
    assert.equal((await withTimeout(read, 10000, 'read')).toString(), 'k');
    trace.stop();
    if (isWindowsBackend) assert.equal(pollsInFlight(trace.messages).most, 1);
  });

  it('a Duplex under HTTP load (2 MiB responses, 8 keep-alive connections): one poll per socket, every body checked', async function () {
    const body = crypto.randomBytes(2 * MiB);
    const digest = crypto.createHash('sha256').update(body).digest('hex');
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(body));
    });
    const listener = track(await afd.serve(server, { host: '127.0.0.1', port: 0 }));
    track(() => server.closeAllConnections());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    track(() => agent.destroy());
    const { port } = listener.address();
    const trace = captureTrace();
    let next = 0;
    let ok = 0;
    const deadline = Date.now() + 60000;
    async function worker() {
      while (next < 48 && Date.now() < deadline) {
        next++;
        const hex = await new Promise((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent }, (res) => {
            const h = crypto.createHash('sha256');
            res.on('data', (d) => h.update(d));
            res.on('end', () => resolve(h.digest('hex')));
          });
          req.on('error', reject);
          req.end('x'.repeat(1000));
        });
        assert.equal(hex, digest);
        ok++;
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker));
    trace.stop();
    assert.equal(ok, 48);
    if (isWindowsBackend) {
      const { most, pendedMasks } = pollsInFlight(trace.messages);
      assert.ok(pendedMasks.length > 0, 'no poll pended under load');
      assert.equal(most, 1, `a socket had ${most} polls in the kernel at once`);
    }
  });
});
