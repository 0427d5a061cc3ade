#!/usr/bin/env node
// npm run bench: afd-socket against net.createServer, side by side, in one run.
//
// Servers (each its own process, pinned to core 0): an afd-socket echo server
// on the public API, node:net echo servers in both usual styles, a C epoll
// echo server as the ceiling, and one http.createServer handler on an
// AfdListener and on net. The load client is C (bench/load.c), pinned to core
// 1. Runs alternate between servers, after a warm-up; the table gives medians
// with min-max, ratios against net and against C, and what each costs the
// server: context switches and CPU time per operation (from /proc).
//
//   npm run bench                       about a minute
//   npm run bench -- --long             longer rounds, more of them
//   npm run bench -- --only pingpong-64,pump-8 --rounds 5
//   npm run bench:windows               the servers run on Wine's node.exe
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { parseArgs } = require('node:util');

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'bench');

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '1.5' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0.5' },
    only: { type: 'string' },
    wine: { type: 'boolean', default: false },
    long: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    idle: { type: 'string' },
    json: { type: 'string' },
    svg: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log('usage: node bench/run.js [--seconds S] [--rounds N] [--warmup S] [--only a,b] [--idle N] [--long|--quick] [--wine] [--json F] [--svg F]');
  process.exit(0);
}
const SECONDS = opt.long ? 4 : opt.quick ? 0.5 : Number(opt.seconds);
const ROUNDS = opt.long ? 7 : opt.quick ? 1 : Number(opt.rounds);
const WARMUP = opt.quick ? 0.2 : Number(opt.warmup);
const IDLE = Number(opt.idle ?? (opt.quick ? 1000 : opt.wine ? 5000 : 10000));
const WINE = opt.wine;
const OUT_BASE = path.join(__dirname, 'results', WINE ? 'wine' : 'linux');
const JSON_OUT = opt.json ?? `${OUT_BASE}.json`;
const SVG_OUT = opt.svg ?? `${OUT_BASE}.svg`;

const ECHO = WINE ? ['afd', 'net-pipe', 'net-data'] : ['afd', 'net-pipe', 'net-data', 'epoll'];
const SCENARIOS = [
  { name: 'pingpong-1', mode: 'pingpong', conns: 1, servers: ECHO, unit: 'round trips/s' },
  { name: 'pingpong-64', mode: 'pingpong', conns: 64, servers: ECHO, unit: 'round trips/s' },
  { name: 'pump-8', mode: 'pump', conns: 8, servers: ECHO, unit: 'MB/s' },
  { name: 'conn-8', mode: 'conn', conns: 8, servers: ECHO, unit: 'connections/s' },
  { name: 'http-64', mode: 'http', conns: 64, servers: ['http-afd', 'http-net'], unit: 'requests/s' },
].filter((s) => !opt.only || opt.only.split(',').includes(s.name));
const AFD = new Set(['afd', 'http-afd']);
const NET = new Set(['net-pipe', 'net-data', 'http-net']);

const log = (...a) => console.error('[bench]', ...a);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- building
function buildC(name, src) {
  const out = path.join(CACHE, name);
  const srcPath = path.join(__dirname, src);
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(srcPath).mtimeMs) {
    fs.mkdirSync(CACHE, { recursive: true });
    execFileSync('cc', ['-O2', '-Wall', '-o', out, srcPath], { stdio: 'inherit' });
  }
  return out;
}

// ---------------------------------------------------------------- wine
let wine;
function wineSetup() {
  execFileSync('bash', [path.join(ROOT, 'scripts', 'setup-windows.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!fs.existsSync(path.join(ROOT, 'prebuilds', 'win32-x64', 'afd-socket.node'))) {
    execFileSync('bash', [path.join(ROOT, 'scripts', 'build-windows.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const env = execFileSync('bash', ['-c', `. "${ROOT}/scripts/windows-common.sh"; find_wine; `
    + 'echo "$WINE_BIN"; echo "$WINESERVER_BIN"; echo "$NODE_WIN_EXE"; echo "$WINEPREFIX"'], { encoding: 'utf8' }).trim().split('\n');
  wine = { bin: env[0], server: env[1], node: env[2], prefix: env[3] };
  wine.env = { ...process.env, WINEPREFIX: wine.prefix, WINEDEBUG: '-all', PREBUILDS_ONLY: '1' };
  // wineserver takes part in every call: pinned with the servers, on core 0.
  execFileSync('taskset', ['-c', '0', wine.server, '-p'], { env: wine.env, stdio: 'ignore' });
}

// ---------------------------------------------------------------- servers
const children = new Set();
function killAll() {
  for (const c of children) { try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ } }
  children.clear();
}
process.on('exit', () => {
  killAll();
  if (wine) { try { execFileSync(wine.server, ['-k'], { env: wine.env }); } catch { /* not running */ } }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

async function startServer(name) {
  const file = name === 'epoll' ? buildC('epoll-echo', 'servers/epoll.c')
    : path.join(__dirname, 'servers', name.startsWith('net-') ? 'net.js' : `${name}.js`);
  const args = name.startsWith('net-') ? [name.slice(4)] : []; // net-pipe, net-data: net.js pipe|data
  let cmd;
  let out;
  if (name === 'epoll') cmd = [file];
  else if (!WINE) cmd = [process.execPath, '--expose-gc', file, ...args];
  else {
    out = path.join(CACHE, `server-${name}-${process.pid}.json`);
    fs.rmSync(out, { force: true });
    cmd = [wine.bin, wine.node, '--expose-gc', path.relative(ROOT, file), ...args, '--out', out];
  }
  // node.exe under Wine needs files for stdout and stderr, never pipes.
  const err = out ? fs.openSync(`${out}.stderr`, 'w') : 'inherit';
  const child = spawn('bash', ['-c', 'ulimit -n $(ulimit -Hn); exec taskset -c 0 "$@"', 'bash', ...cmd],
    { cwd: ROOT, detached: true, env: WINE ? wine.env : process.env, stdio: ['ignore', out ? 'ignore' : 'pipe', err] });
  if (out) fs.closeSync(err);
  children.add(child);
  let line;
  const deadline = Date.now() + 60000;
  if (!out) {
    line = await new Promise((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d) => { buf += d; if (buf.includes('\n')) resolve(buf.split('\n')[0]); });
      child.once('exit', (code) => reject(new Error(`${name} server exited (${code})`)));
      setTimeout(() => reject(new Error(`${name} server did not start`)), 60000).unref();
    });
  } else {
    while (!(fs.existsSync(out) && fs.readFileSync(out, 'utf8').includes('\n'))) {
      if (Date.now() > deadline) throw new Error(`${name} server did not start under Wine`);
      await sleep(100);
    }
    line = fs.readFileSync(out, 'utf8').split('\n')[0];
  }
  const info = JSON.parse(line);
  // Under Wine the process to measure is the Linux one running node.exe.
  const pid = WINE && out ? Number(execFileSync('pgrep', ['-n', '-f', out], { encoding: 'utf8' }).trim()) : info.pid;
  return { name, child, port: info.port, control: info.control, pid };
}

function stopServer(s) {
  try { process.kill(-s.child.pid, 'SIGKILL'); } catch { /* gone */ }
  children.delete(s.child);
}

function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(f[11]) + Number(f[12]); // utime + stime, all threads
  let ctx = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      for (const m of st.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) ctx += Number(m[1]);
    } catch { /* thread gone */ }
  }
  return { cpuTicks, ctx };
}

function control(port) {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let buf = '';
    c.on('data', (d) => { buf += d; });
    c.on('end', () => { try { resolve(JSON.parse(buf)); } catch (e) { reject(e); } });
    c.on('error', reject);
    c.setTimeout(30000, () => c.destroy(new Error('control timed out')));
  });
}

// ---------------------------------------------------------------- load
function load(mode, port, conns, seconds) {
  const client = buildC('load', 'load.c');
  return new Promise((resolve, reject) => {
    const p = spawn('taskset', ['-c', '1', client, mode, String(port), String(conns), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), (seconds + 30) * 1000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`load ${mode} against port ${port} failed (${code})`));
    });
  });
}

async function measure(server, sc, seconds) {
  const before = procStats(server.pid);
  const r = await load(sc.mode, server.port, sc.conns, seconds);
  const after = procStats(server.pid);
  const ops = sc.mode === 'pump' ? r.ops / 1e6 : r.ops; // per MB for pump
  const value = sc.mode === 'pump' ? r.MBps : r.perSecond;
  const tick = 1e6 / 100; // µs per clock tick (USER_HZ 100)
  return {
    value, p50us: r.p50us, p99us: r.p99us,
    ctxPerOp: ops > 0 ? (after.ctx - before.ctx) / ops : null,
    cpuUsPerOp: ops > 0 ? ((after.cpuTicks - before.cpuTicks) * tick) / ops : null,
  };
}

// ---------------------------------------------------------------- idle memory
async function idleMemory() {
  const rows = {};
  for (const name of ['afd', 'net-data']) {
    log(`idle memory: ${name}, ${IDLE} connections`);
    const s = await startServer(name);
    try {
      const base = await control(s.control);
      const client = spawn(buildC('load', 'load.c'), ['idle', String(s.port), String(IDLE), '120'], { stdio: ['pipe', 'pipe', 'inherit'] });
      await new Promise((resolve, reject) => {
        client.stdout.once('data', resolve);
        client.once('exit', (c) => reject(new Error(`idle client exited (${c})`)));
      });
      let now = await control(s.control);
      for (let i = 0; i < 300 && now.open < IDLE; i++) { await sleep(100); now = await control(s.control); }
      await sleep(500);
      now = await control(s.control);
      client.stdin.end();
      client.kill('SIGKILL');
      const per = (k) => Math.round((now[k] - base[k]) / IDLE);
      rows[name] = { connections: now.open, rss: per('rss'), heapUsed: per('heapUsed'), external: per('external'), arrayBuffers: per('arrayBuffers') };
    } finally {
      stopServer(s);
    }
  }
  return rows;
}

// ---------------------------------------------------------------- report
function machine() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown', cores: cpus.length, kernel: `${os.type()} ${os.release()}`,
    node: WINE ? path.basename(path.dirname(wine.node)) + ' (node.exe under ' + execFileSync(wine.bin, ['--version'], { encoding: 'utf8' }).trim() + ')' : process.version,
  };
}

function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return n >= 1e4 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

function table(results) {
  const lines = [];
  for (const sc of results.scenarios) {
    lines.push('', `${sc.name} (${sc.unit}; median of ${ROUNDS}, min-max)`);
    const W = [10, 11, 19, 8, 8, 9, 11, 8, 8];
    const row = (cells) => cells.map((c, i) => (i ? String(c).padStart(W[i]) : String(c).padEnd(W[i]))).join('');
    lines.push(row(['server', 'median', 'min-max', 'p50 us', 'p99 us', 'ctx/op', 'cpu us/op', 'vs net', 'vs C']));
    for (const [name, r] of Object.entries(sc.servers)) {
      const cells = [fmt(r.median, 1), `${fmt(r.min)}-${fmt(r.max)}`, fmt(r.p50us), fmt(r.p99us), fmt(r.ctxPerOp, 3), fmt(r.cpuUsPerOp, 1),
        r.vsNet ? r.vsNet.toFixed(2) + 'x' : '', r.vsC ? r.vsC.toFixed(2) + 'x' : ''];
      lines.push(row([name, ...cells]));
    }
  }
  if (results.idle) {
    lines.push('', `idle connections (${IDLE}, clients in another process): bytes per connection`);
    lines.push('server'.padEnd(10) + ['rss', 'heapUsed', 'external', 'arrayBuffers'].map((h) => h.padStart(14)).join(''));
    for (const [name, r] of Object.entries(results.idle)) {
      lines.push(name.padEnd(10) + [r.rss, r.heapUsed, r.external, r.arrayBuffers].map((v) => String(v).padStart(14)).join(''));
    }
  }
  return lines.join('\n');
}

async function main() {
  if (WINE) wineSetup();
  buildC('load', 'load.c');
  const started = Date.now();
  const results = { machine: machine(), date: new Date().toISOString(), wine: WINE, seconds: SECONDS, rounds: ROUNDS, scenarios: [] };
  log(`${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.kernel}, node ${results.machine.node}`);
  for (const sc of SCENARIOS) {
    const servers = [];
    for (const name of sc.servers) servers.push(await startServer(name));
    try {
      const runs = Object.fromEntries(sc.servers.map((n) => [n, []]));
      for (const s of servers) { log(`${sc.name}: warm-up ${s.name}`); await load(sc.mode, s.port, sc.conns, WARMUP); }
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate: each round starts with the next server.
        for (let i = 0; i < servers.length; i++) {
          const s = servers[(i + round) % servers.length];
          const m = await measure(s, sc, SECONDS);
          runs[s.name].push(m);
          log(`${sc.name} round ${round + 1}/${ROUNDS}: ${s.name} ${fmt(m.value, 1)} ${sc.unit}`);
        }
      }
      const summary = {};
      for (const [name, rs] of Object.entries(runs)) {
        const v = rs.map((r) => r.value);
        const med = (k) => (rs[0][k] === undefined || rs[0][k] === null ? null : median(rs.map((r) => r[k])));
        summary[name] = { median: median(v), min: Math.min(...v), max: Math.max(...v), runs: v,
          p50us: med('p50us'), p99us: med('p99us'), ctxPerOp: med('ctxPerOp'), cpuUsPerOp: med('cpuUsPerOp') };
      }
      const netBest = Math.max(...Object.entries(summary).filter(([n]) => NET.has(n)).map(([, r]) => r.median));
      const c = summary.epoll?.median;
      for (const [name, r] of Object.entries(summary)) {
        if (!NET.has(name)) r.vsNet = r.median / netBest;
        if (c && name !== 'epoll') r.vsC = r.median / c;
      }
      results.scenarios.push({ name: sc.name, unit: sc.unit, servers: summary,
        afdVsNet: Object.entries(summary).find(([n]) => AFD.has(n))[1].vsNet });
    } finally {
      servers.forEach(stopServer);
    }
  }
  if (IDLE > 0) results.idle = await idleMemory();
  results.elapsedSeconds = Math.round((Date.now() - started) / 1000);
  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2) + '\n');
  const { render } = await import('./chart.mjs');
  fs.writeFileSync(SVG_OUT, await render(results));
  console.log(`afd-socket vs net.createServer${WINE ? ' (servers on Wine\'s node.exe)' : ''}: ${results.machine.cpu}, ${results.machine.cores} cores, ${results.machine.kernel}, node ${results.machine.node}`);
  console.log(table(results));
  console.log(`\nwrote ${path.relative(process.cwd(), JSON_OUT)} and ${path.relative(process.cwd(), SVG_OUT)} (${results.elapsedSeconds} s)`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
}).finally(killAll);
