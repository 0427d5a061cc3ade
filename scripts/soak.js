// npm run soak: 20,000 connect/echo/close cycles and 1 GiB through one
// connection checked by sha256, with the process's descriptors (Linux) or
// handles (Windows) and RSS before and after. Bounded in count and in time.
//   node scripts/soak.js [--cycles N] [--mib N]      (bash scripts/wine-node.sh scripts/soak.js: under Wine)
'use strict';
const crypto = require('node:crypto');
const { parseArgs } = require('node:util');
const afd = require('..');

const { values } = parseArgs({ options: { cycles: { type: 'string', default: '20000' }, mib: { type: 'string', default: '1024' } } });
const CYCLES = Number(values.cycles);
const MIB = Number(values.mib);
const DEADLINE = Date.now() + 15 * 60 * 1000;
const PARALLEL = 50;

function snapshot() {
  if (global.gc) global.gc();
  const s = afd.stats();
  return { handles: s.handles, rss: process.memoryUsage().rss, openSockets: s.openSockets };
}
const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;

// Cycles: the server answers one message and closes first, so TIME_WAIT
// lands on its side (the listener's port), not on the client's ephemeral
// ports: 20,000 client-side TIME_WAITs would exhaust them (under Wine, where
// every connect binds a port first, that shows as connect EADDRINUSE).
async function answerOnce(listener) {
  for await (const s of listener) {
    (async () => {
      try {
        const msg = await s.read();
        if (msg !== null) await s.write(msg);
        await s.end();
        while ((await s.read()) !== null);
      } catch {
        // a client that goes away
      }
      await s.close();
    })();
  }
}

async function echoServer(listener) {
  for await (const s of listener) {
    (async () => {
      try {
        for await (const chunk of s) await s.write(chunk);
        await s.end();
      } catch {
        // a client that goes away
      }
      await s.close();
    })();
  }
}

async function main() {
  const listener = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0, backlog: 1024 });
  const { port } = listener.address();
  const serving = answerOnce(listener);
  const bulkListener = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
  const bulkServing = echoServer(bulkListener);
  const before = snapshot();
  const t0 = Date.now();

  // 1. connect / echo / close, PARALLEL at a time
  let done = 0;
  let next = 0;
  async function worker() {
    while (next < CYCLES) {
      if (Date.now() > DEADLINE) throw new Error(`deadline passed after ${done} cycles`);
      const i = next++;
      const c = await afd.AfdSocket.connect({ host: '127.0.0.1', port });
      const msg = Buffer.from(`cycle ${i}`);
      await c.write(msg);
      const got = [];
      for await (const chunk of c) got.push(chunk);
      if (!Buffer.concat(got).equals(msg)) throw new Error(`cycle ${i}: echo differs`);
      await c.close();
      done++;
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const cyclesSeconds = (Date.now() - t0) / 1000;

  // 2. MIB MiB out and back through one connection, sha256 both ways
  const t1 = Date.now();
  const c = await afd.AfdSocket.connect({ host: '127.0.0.1', port: bulkListener.address().port });
  const chunk = crypto.randomBytes(1 << 20);
  const sent = crypto.createHash('sha256');
  const back = crypto.createHash('sha256');
  let received = 0;
  const reading = (async () => {
    for await (const part of c) { back.update(part); received += part.length; }
  })();
  for (let i = 0; i < MIB; i++) {
    if (Date.now() > DEADLINE) throw new Error(`deadline passed after ${i} MiB`);
    chunk[0] = i & 0xff; // every MiB differs
    sent.update(chunk);
    await c.write(chunk);
  }
  await c.end();
  await reading;
  await c.close();
  const same = sent.digest('hex') === back.digest('hex') && received === MIB * 1048576;
  const bulkSeconds = (Date.now() - t1) / 1000;

  await listener.close();
  await bulkListener.close();
  await serving;
  await bulkServing;
  await new Promise((r) => setTimeout(r, 200));
  const after = snapshot();
  const label = afd.backend === 'linux' ? 'descriptors' : 'handles';
  console.log(`backend ${afd.backend}, node ${process.version}`);
  console.log(`connect/echo/close: ${done} cycles in ${cyclesSeconds.toFixed(1)} s (${Math.round(done / cyclesSeconds)}/s), every echo checked`);
  console.log(`bulk: ${MIB} MiB out and back in ${bulkSeconds.toFixed(1)} s, sha256 ${same ? 'matches' : 'DIFFERS'}`);
  console.log(`${label}: ${before.handles ?? 'unknown'} before, ${after.handles ?? 'unknown'} after`);
  console.log(`rss: ${mb(before.rss)} before, ${mb(after.rss)} after; open sockets: ${before.openSockets} before, ${after.openSockets} after`);
  const leaked = after.openSockets !== before.openSockets || (before.handles !== null && after.handles > before.handles);
  if (!same || done !== CYCLES || leaked) {
    console.log('soak: FAILED');
    process.exitCode = 1;
  } else {
    console.log('soak: passed');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
