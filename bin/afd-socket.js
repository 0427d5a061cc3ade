#!/usr/bin/env node
// npx afd-socket <command>: port diagnostics with the real library.
//   ports                 the ephemeral range, reserved/excluded ranges, and how much is in use
//   who <port>            who listens on or is connected through a port
//   experiment [--port N] bind attempts (addresses, share modes, port 0, IPv6, a low port), with their kernel calls
//   trace <script> [args] runs a Node script with every kernel call printed (AFD_SOCKET_TRACE=1)
// Every command takes --json. Exit codes: 0 done, 1 nothing found / failed, 2 bad usage.
'use strict';
const { parseArgs } = require('node:util');
const { spawn } = require('node:child_process');
const dc = require('node:diagnostics_channel');
const afd = require('..');

const USAGE = `usage: afd-socket <command> [options]

commands:
  ports                   ephemeral port range, reserved or excluded ranges, ports in use (and TIME_WAIT)
  who <port>              processes listening on or connected through <port>
  experiment [--port N]   bind attempts: 0.0.0.0 then 127.0.0.1, port 0, each share mode twice,
                          ::1 beside 127.0.0.1, a port below 1024; with the kernel calls each made
  trace <script> [args]   run a Node script with every kernel call printed to stderr

options:
  --json                  print JSON instead of text
  --port N                experiment: the port to use (default: a free one)
  --help                  this text

exit codes: 0 done, 1 nothing found or a failure, 2 bad usage`;

function fail(message, code = 2) {
  console.error(`afd-socket: ${message}`);
  console.error('(afd-socket --help for usage)');
  process.exit(code);
}

function portArg(text, what) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail(`${what} must be a port number (0-65535), not ${JSON.stringify(text)}`);
  return n;
}

function table(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '-').length)));
  const line = (r) => columns.map((c, i) => String(r[c] ?? '-').padEnd(widths[i])).join('  ').trimEnd();
  return [line(Object.fromEntries(columns.map((c) => [c, c]))), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- ports
function ports(json) {
  const r = afd.portRanges();
  if (json) return console.log(JSON.stringify(r, null, 2));
  const range = (x) => (x ? `${x.first}-${x.last} (${x.last - x.first + 1} ports)` : 'unknown');
  console.log(`ephemeral (dynamic) range: ${range(r.ephemeral.range)}    from ${r.ephemeral.source}`);
  const known = (source) => !source.startsWith('unknown');
  const reserved = r.reserved.ranges.length ? r.reserved.ranges.map(range).join(', ') : known(r.reserved.source) ? 'none' : 'unknown';
  console.log(`reserved / excluded:       ${reserved}    from ${r.reserved.source}`);
  if (r.unprivilegedStart) console.log(`unprivileged ports from:   ${r.unprivilegedStart.port ?? 'unknown'}    from ${r.unprivilegedStart.source}`);
  const size = r.ephemeral.range ? r.ephemeral.range.last - r.ephemeral.range.first + 1 : null;
  const share = size ? ` (${((100 * r.inUse.ephemeral) / size).toFixed(2)}% of the range)` : '';
  if (size === null) console.log('in use from the range:     unknown (the range is not known)');
  else console.log(`in use from the range:     ${r.inUse.ephemeral}${share}, ${r.inUse.timeWait} in TIME_WAIT    from ${r.inUse.source}`);
}

// ---------------------------------------------------------------- who
function who(port, json) {
  const rows = afd.tcpTable(port).map((e) => ({
    pid: e.pid, name: e.pid === null ? 'unknown' : e.name, local: `${e.localAddress}:${e.localPort}`,
    remote: `${e.remoteAddress}:${e.remotePort}`, state: e.state,
  }));
  if (json) console.log(JSON.stringify(rows, null, 2));
  else if (rows.length === 0) console.log(`nothing listens on or is connected through port ${port}`);
  else console.log(table(rows, ['pid', 'name', 'local', 'remote', 'state']));
  return rows.length > 0 ? 0 : 1;
}

// ---------------------------------------------------------------- experiment
async function freePort() {
  const l = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
  const { port } = l.address();
  await l.close();
  return port;
}

async function experiment(port, json) {
  const rows = [];
  const calls = [];
  const open = [];
  let recording = true;
  const record = (m) => { if (recording) calls[calls.length - 1].push(afd.trace.format(m)); };
  dc.subscribe('afd-socket:syscall', record);
  async function attempt(what, host, p, share, keep) {
    calls.push([]);
    const row = { attempt: rows.length + 1, what, address: `${host.includes(':') ? `[${host}]` : host}:${p}`, share };
    try {
      const l = await afd.AfdListener.listen({ host, port: p, share });
      row.result = `bound, port ${l.address().port}`;
      if (keep) open.push(l);
      else await l.close();
    } catch (err) {
      row.result = `${err.code}${err.ntstatus !== undefined ? ` ntstatus=0x${err.ntstatus.toString(16).toUpperCase()}` : ` errno=${err.errno}`}`
        + (err.owner ? ` holder=${err.owner.pid === null ? 'unknown' : `${err.owner.pid} (${err.owner.name})`}` : '');
    }
    rows.push(row);
  }
  const closeAll = async () => { // closing between attempts belongs to none of them
    recording = false;
    while (open.length) await open.pop().close();
    recording = true;
  };
  try {
    await attempt('wildcard address', '0.0.0.0', port, 'unique', true);
    await attempt('loopback beside it', '127.0.0.1', port, 'unique', true);
    await closeAll();
    await attempt('port 0: the system picks', '127.0.0.1', 0, 'unique', false);
    for (const share of ['unique', 'reuse', 'wildcard', 'exclusive']) {
      await attempt(`first bind, share ${share}`, '127.0.0.1', port, share, true);
      await attempt(`second bind, share ${share}`, '127.0.0.1', port, share, true);
      await closeAll();
    }
    await attempt('IPv4 loopback', '127.0.0.1', port, 'unique', true);
    await attempt('IPv6 loopback beside it', '::1', port, 'unique', true);
    await closeAll();
    await attempt('a port below 1024', '127.0.0.1', 1023, 'unique', false);
  } finally {
    dc.unsubscribe('afd-socket:syscall', record);
    await closeAll();
  }
  if (json) {
    console.log(JSON.stringify({ backend: afd.backend, port, attempts: rows.map((r, i) => ({ ...r, calls: calls[i] })) }, null, 2));
    return;
  }
  console.log(`backend ${afd.backend}, port ${port}\n`);
  console.log(table(rows, ['attempt', 'what', 'address', 'share', 'result']));
  rows.forEach((r, i) => {
    console.log(`\n${r.attempt}. ${r.what} (${r.address}, ${r.share}):`);
    for (const c of calls[i]) console.log(`   ${c}`);
  });
}

// ---------------------------------------------------------------- trace
function trace(script, args) {
  const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit', env: { ...process.env, AFD_SOCKET_TRACE: '1' } });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, strict: true, options: {
      json: { type: 'boolean', default: false }, port: { type: 'string' }, help: { type: 'boolean', default: false },
    } });
  } catch (err) {
    // `trace` passes everything after the script through untouched.
    if (process.argv[2] === 'trace' && process.argv[3]) return trace(process.argv[3], process.argv.slice(4));
    return fail(err.message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  switch (command) {
    case 'ports':
      if (rest.length) fail('ports takes no arguments');
      return ports(values.json);
    case 'who':
      if (rest.length !== 1) fail('who takes one port');
      process.exitCode = who(portArg(rest[0], 'the port'), values.json);
      return undefined;
    case 'experiment':
      if (rest.length) fail('experiment takes no arguments besides --port');
      return experiment(values.port === undefined ? await freePort() : portArg(values.port, '--port'), values.json);
    case 'trace':
      if (!rest.length) fail('trace needs a script');
      return trace(rest[0], rest.slice(1));
    default:
      return fail(`unknown command ${JSON.stringify(command)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
