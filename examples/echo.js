// An echo server on AfdListener, exercised by a node:net client and by an
// AfdSocket client, then shut down. The same file runs unchanged on Linux
// (raw syscalls + epoll) and on Windows (AFD IOCTLs on a completion port).
//
//   node examples/echo.js                  (Linux, macOS is not supported)
//   bash scripts/wine-node.sh examples/echo.js   (the Windows build, under Wine)
'use strict';
const net = require('node:net');
const crypto = require('node:crypto');
const { AfdListener, AfdSocket, backend } = require('afd-socket');

async function serve(listener) {
  // One task per connection; the loop ends when the listener is closed.
  for await (const socket of listener) {
    (async () => {
      for await (const chunk of socket) await socket.write(chunk);
      await socket.end(); // our side is done too
      await socket.close();
    })().catch((err) => console.error('connection failed:', err));
  }
}

function netRoundTrip(port, payload) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const c = net.connect(port, '127.0.0.1', () => c.end(payload));
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => resolve(Buffer.concat(chunks)));
    c.on('error', reject);
  });
}

async function afdRoundTrip(port, payload) {
  const socket = await AfdSocket.connect({ host: '127.0.0.1', port });
  const received = [];
  const reading = (async () => { for await (const chunk of socket) received.push(chunk); })();
  await socket.write(payload);
  await socket.end();
  await reading;
  await socket.close();
  return Buffer.concat(received);
}

const sha = (b) => crypto.createHash('sha256').update(b).digest('hex').slice(0, 16);

async function main() {
  const listener = await AfdListener.listen({ host: '127.0.0.1', port: 0 });
  const { address, port } = listener.address();
  console.log(`backend ${backend}: echo server on ${address}:${port}`);
  const serving = serve(listener);

  const payload = crypto.randomBytes(1 << 20);
  for (const [name, roundTrip] of [['node:net client', netRoundTrip], ['AfdSocket client', afdRoundTrip]]) {
    const t0 = process.hrtime.bigint();
    const echoed = await roundTrip(port, payload);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const ok = echoed.equals(payload);
    console.log(`${name}: sent ${payload.length} bytes, got ${echoed.length} back, sha256 ${sha(echoed)} ${ok ? 'matches' : 'DIFFERS'} (${ms.toFixed(1)} ms)`);
    if (!ok) process.exitCode = 1;
  }

  await listener.close();
  await serving;
  console.log('listener closed');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
