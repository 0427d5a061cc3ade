// Which of these localhost ports take a connection? Connects to each with a
// timeout (AbortSignal) and prints open / closed / timeout.
//
//   node examples/port-check.js 22 80 443 8080 [--host 127.0.0.1] [--timeout 500]
'use strict';
const { parseArgs } = require('node:util');
const { AfdSocket } = require('afd-socket');

async function check(host, port, timeoutMs) {
  try {
    const socket = await AfdSocket.connect({ host, port, signal: AbortSignal.timeout(timeoutMs) });
    await socket.close();
    return 'open';
  } catch (err) {
    if (err.name === 'AbortError') return 'timeout';
    return `closed (${err.code})`;
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { host: { type: 'string', default: '127.0.0.1' }, timeout: { type: 'string', default: '500' } },
  });
  const ports = positionals.map(Number);
  if (ports.length === 0 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    console.error('usage: node examples/port-check.js PORT... [--host 127.0.0.1] [--timeout ms]');
    process.exit(2);
  }
  const results = await Promise.all(ports.map((p) => check(values.host, p, Number(values.timeout))));
  ports.forEach((p, i) => console.log(`${values.host}:${p} ${results[i]}`));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
