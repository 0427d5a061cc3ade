'use strict';
// 19. The addon inside a worker_threads Worker, concurrently with the main thread.

const assert = require('node:assert/strict');
const path = require('node:path');
const { Worker } = require('node:worker_threads');
const {
  afd, useCleanup, withTimeout, echoServer, readAll, sha256, randomBytes, MiB,
} = require('./helpers');

const PKG = path.resolve(__dirname, '..');

// Runs in the worker: an echo server on its own listener, plus a client of
// the main thread's echo server.  Ends by closing everything and letting the
// worker's event loop run dry.
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const afd = require(workerData.pkg);

function nextMessage() {
  return new Promise((resolve) => parentPort.once('message', resolve));
}

async function readAll(sock) {
  const chunks = [];
  for (;;) {
    const c = await sock.read();
    if (c === null) return Buffer.concat(chunks);
    chunks.push(c);
  }
}

(async () => {
  const listener = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
  const conns = [];
  let accepted = 0;
  const serving = (async () => {
    for await (const s of listener) {
      accepted++;
      conns.push((async () => {
        for await (const chunk of s) await s.write(chunk);
        await s.end();
        await s.close();
      })());
    }
  })();
  parentPort.postMessage({ type: 'port', port: listener.address().port });

  const { port: mainPort } = await nextMessage();
  const payload = crypto.randomBytes(workerData.size);
  const sock = await afd.AfdSocket.connect({ host: '127.0.0.1', port: mainPort });
  const [, echoed] = await Promise.all([
    (async () => { await sock.write(payload); await sock.end(); })(),
    readAll(sock),
  ]);
  await sock.close();
  const hash = (b) => crypto.createHash('sha256').update(b).digest('hex');
  parentPort.postMessage({
    type: 'result', sent: hash(payload), echoed: hash(echoed), bytes: echoed.length,
  });

  await nextMessage(); // 'stop'
  await listener.close();
  await serving;
  await Promise.all(conns);
  parentPort.postMessage({ type: 'closed', accepted });
})().catch((err) => {
  parentPort.postMessage({ type: 'error', stack: String(err && err.stack || err) });
  process.exitCode = 1;
});
`;

describe('worker_threads', function () {
  const track = useCleanup();

  it('a listener and sockets inside a Worker work alongside the main thread, and the worker exits', async function () {
    this.timeout(120000);
    const SIZE = 1 * MiB;

    const mainListener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const echo = echoServer(mainListener);
    track(() => echo.close());

    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { pkg: PKG, size: SIZE } });
    let exited = false;
    track(async () => { if (!exited) await worker.terminate(); });
    const messages = [];
    const waiters = [];
    const exit = new Promise((resolve, reject) => {
      worker.on('error', reject);
      worker.on('exit', (code) => { exited = true; resolve(code); });
    });
    const exitedEarly = exit.then((code) => { throw new Error(`worker exited early (code ${code})`); });
    exitedEarly.catch(() => {});
    worker.on('message', (m) => {
      messages.push(m);
      for (const w of waiters.splice(0)) w();
    });
    async function waitFor(type) {
      for (let i = 0; i < 10000; i++) {
        const err = messages.find((m) => m.type === 'error');
        if (err) throw new Error(`worker failed:\n${err.stack}`);
        const m = messages.find((x) => x.type === type);
        if (m) return m;
        await Promise.race([new Promise((r) => waiters.push(r)), exitedEarly]);
      }
      throw new Error(`no ${type} message`);
    }

    const { port: workerPort } = await withTimeout(waitFor('port'), 30000, 'worker listening');
    assert.ok(workerPort > 0 && workerPort !== mainListener.address().port);
    worker.postMessage({ port: mainListener.address().port });

    // meanwhile the main thread talks to the worker's echo server
    const payload = randomBytes(SIZE);
    const sock = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: workerPort }));
    const [, echoed] = await withTimeout(Promise.all([
      (async () => { await sock.write(payload); await sock.end(); })(),
      readAll(sock),
    ]), 60000, 'main -> worker echo');
    assert.equal(echoed.length, SIZE);
    assert.equal(sha256(echoed), sha256(payload));

    const result = await withTimeout(waitFor('result'), 60000, 'worker -> main echo');
    assert.equal(result.bytes, SIZE);
    assert.equal(result.echoed, result.sent);
    assert.equal(echo.accepted, 1, 'main listener saw the worker connection');

    worker.postMessage('stop');
    const closed = await withTimeout(waitFor('closed'), 30000, 'worker closing');
    assert.equal(closed.accepted, 1, 'worker listener saw the main connection');
    // nothing may keep the worker's event loop alive once everything is closed
    const code = await withTimeout(exit, 20000, 'worker exit on its own');
    assert.equal(code, 0);
    assert.deepEqual(echo.errors, []);
  });
});
