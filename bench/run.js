#!/usr/bin/env node
// npm run bench: afd-socket against net.createServer, side by side, in one run.
//
// Servers (each its own process, pinned to core 0): an afd-socket echo server
// on the public API, node:net echo servers in both usual styles, a C epoll
// echo server as the ceiling, and one http.createServer handler on an
// AfdListener and on net. The load client is C (bench/load.c), pinned to core
// 1. Runs alternate between servers, after a warm-up; the table gives medians
// with min-max, ratios against net and against C, and what each costs the
// server: context switches and CPU time per operation (from /proc). Then idle
// memory: bytes per held-open connection.
//
//   npm run bench                       about a minute and a quarter
//   npm run bench -- --quick            a smoke run, about 15 s
//   npm run bench -- --long             longer rounds, more of them
//   npm run bench -- --only pingpong-64,pump-8 --servers afd,net-data --rounds 5
//   npm run bench:windows               the servers run on Wine's node.exe
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { parseArgs } = require('node:util');
const { procStats, rssBytes, fdCount } = require('./proc');
const { table, fmt } = require('./table');

const ROOT = path.resolve(__dirname, '..');
const CACHE = path.join(ROOT, '.cache', 'bench');

// ---------------------------------------------------------------- options
const USAGE = `usage: node bench/run.js [options]
  --seconds S      length of one measured round (default 1; --quick 0.5, --long 4)
  --rounds N       measured rounds per server (default 3; --quick 1, --long 7)
  --warmup S       warm-up per server before the rounds (default 0.3; --quick 0.2)
  --only LIST      scenarios: pingpong-1,pingpong-64,pump-8,conn-8,http-64,idle
  --servers LIST   servers: afd,net-pipe,net-data,epoll,http-afd,http-net
  --idle N         idle connections to hold (default 10000, 5000 with --wine, 1000 with --quick; 0: skip)
  --quick | --long presets for the above (explicit options win)
  --wine           servers on Wine's Windows node.exe (npm run bench:windows)
  --json FILE      results (default bench/results/linux.json, wine.json with --wine)
  --svg FILE       chart (default bench/results/linux.svg, wine.svg with --wine)
  --timeout MIN    give up after this many minutes in all (default 20)`;

let opt;
try {
  ({ values: opt } = parseArgs({
    options: {
      seconds: { type: 'string' }, rounds: { type: 'string' }, warmup: { type: 'string' },
      only: { type: 'string' }, servers: { type: 'string' }, idle: { type: 'string' },
      quick: { type: 'boolean', default: false }, long: { type: 'boolean', default: false },
      wine: { type: 'boolean', default: false },
      json: { type: 'string' }, svg: { type: 'string' }, timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  console.error(`${err.message}\n${USAGE}`);
  process.exit(2);
}
if (opt.help) {
  console.log(USAGE);
  process.exit(0);
}
function num(name, fallback, min, max) {
  const v = opt[name] === undefined ? fallback : Number(opt[name]);
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`--${name} must be a number from ${min} to ${max}\n${USAGE}`);
    process.exit(2);
  }
  return v;
}
function list(name, known) {
  if (opt[name] === undefined) return known;
  const items = opt[name].split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((s) => !known.includes(s));
  if (bad.length || !items.length) {
    console.error(`--${name}: unknown ${bad.join(', ') || '(empty list)'}; known: ${known.join(', ')}`);
    process.exit(2);
  }
  return items;
}

const WINE = opt.wine;
const SECONDS = num('seconds', opt.long ? 4 : opt.quick ? 0.5 : 1, 0.1, 300);
const ROUNDS = num('rounds', opt.long ? 7 : opt.quick ? 1 : 3, 1, 100);
const WARMUP = num('warmup', opt.quick ? 0.2 : 0.3, 0.1, 60);
const IDLE = num('idle', opt.quick ? 1000 : WINE ? 5000 : 10000, 0, 20000);
const TIMEOUT_MIN = num('timeout', 20, 1, 600);
const OUT_BASE = path.join(__dirname, 'results', WINE ? 'wine' : 'linux');
const JSON_OUT = path.resolve(opt.json ?? `${OUT_BASE}.json`);
const SVG_OUT = path.resolve(opt.svg ?? `${OUT_BASE}.svg`);

const ALL_SERVERS = ['afd', 'net-pipe', 'net-data', 'epoll', 'http-afd', 'http-net'];
const SERVERS = list('servers', ALL_SERVERS).filter((s) => !(WINE && s === 'epoll')); // no native C server among Wine figures
const ECHO = ['afd', 'net-pipe', 'net-data', 'epoll'];
const SCENARIOS = [
  { name: 'pingpong-1', mode: 'pingpong', conns: 1, servers: ECHO, unit: 'round trips/s', perOp: 'round trip' },
  { name: 'pingpong-64', mode: 'pingpong', conns: 64, servers: ECHO, unit: 'round trips/s', perOp: 'round trip' },
  { name: 'pump-8', mode: 'pump', conns: 8, servers: ECHO, unit: 'MB/s', perOp: 'MB' },
  { name: 'conn-8', mode: 'conn', conns: 8, servers: ECHO, unit: 'connections/s', perOp: 'connection' },
  { name: 'http-64', mode: 'http', conns: 64, servers: ['http-afd', 'http-net'], unit: 'requests/s', perOp: 'request' },
];
const ONLY = list('only', [...SCENARIOS.map((s) => s.name), 'idle']);
const RUN = SCENARIOS.filter((s) => ONLY.includes(s.name))
  .map((s) => ({ ...s, servers: s.servers.filter((n) => SERVERS.includes(n)) }))
  .filter((s) => s.servers.length > 0);
const IDLE_SERVERS = ['afd', 'net-data', 'epoll'].filter((n) => SERVERS.includes(n));
const RUN_IDLE = ONLY.includes('idle') && IDLE > 0 && IDLE_SERVERS.length > 0;
const AFD = new Set(['afd', 'http-afd']);
const NET = new Set(['net-pipe', 'net-data', 'http-net']);

const log = (...a) => console.error('[bench]', ...a);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Rejects with `what` unless `promise` settles within `ms`.
function deadline(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${Math.round(ms / 1000)} s`)), ms);
  })]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------- processes
// Every child runs in its own process group, so killing the group also takes
// whatever it started (taskset -> wine -> node.exe, bash -> server).
const children = new Set();
function spawnTracked(cmd, args, options) {
  const child = spawn(cmd, args, { ...options, detached: true });
  children.add(child);
  child.exitCode_ = null;
  child.on('exit', (code, signal) => { child.exitCode_ = code ?? signal; children.delete(child); });
  child.on('error', (err) => { child.exitCode_ = err.code; children.delete(child); });
  return child;
}
function killGroup(child) {
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  children.delete(child);
}
let wine;
process.on('exit', () => {
  for (const c of [...children]) killGroup(c);
  wine?.cleanup();
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { log(`${sig}: stopping`); process.exit(130); });

function buildC(name, src) {
  const out = path.join(CACHE, name);
  const srcPath = path.join(__dirname, src);
  if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(srcPath).mtimeMs) {
    fs.mkdirSync(CACHE, { recursive: true });
    log(`cc -O2 ${path.relative(ROOT, srcPath)}`);
    execFileSync('cc', ['-O2', '-Wall', '-o', out, srcPath], { stdio: 'inherit' });
  }
  return out;
}

// The servers load the library from dist/ (compiled TypeScript) and the addon.
function checkLibrary() {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    log('dist/ missing: npm run build:ts');
    execFileSync('npm', ['run', 'build:ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!WINE) {
    try {
      execFileSync(process.execPath, ['-e', 'require(".")'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      throw new Error(`afd-socket does not load (run npm install first?):\n${err.stderr}`);
    }
  }
}

// ---------------------------------------------------------------- servers
async function startServer(name) {
  const file = name === 'epoll' ? buildC('epoll-echo', 'servers/epoll.c')
    : path.join(__dirname, 'servers', name.startsWith('net-') ? 'net.js' : `${name}.js`);
  const args = name.startsWith('net-') ? [name.slice(4)] : []; // net-pipe, net-data: net.js pipe|data
  let cmd;
  let out; // under Wine: the file the server reports its port in
  if (name === 'epoll') cmd = [file];
  else if (!WINE) cmd = [process.execPath, '--expose-gc', file, ...args];
  else {
    out = path.join(CACHE, `server-${name}-${process.pid}.json`);
    fs.mkdirSync(CACHE, { recursive: true });
    fs.rmSync(out, { force: true });
    cmd = [wine.bin, wine.node, '--expose-gc', path.relative(ROOT, file), ...args, '--out', out];
  }
  // node.exe under Wine needs files for stdout and stderr, never pipes.
  const errFile = out && `${out}.stderr`;
  const err = out ? fs.openSync(errFile, 'w') : 'inherit';
  const child = spawnTracked('bash', ['-c', 'ulimit -n $(ulimit -Hn) 2>/dev/null; exec taskset -c 0 "$@"', 'bash', ...cmd],
    { cwd: ROOT, env: WINE ? wine.env : process.env, stdio: ['ignore', out ? 'ignore' : 'pipe', err] });
  if (out) fs.closeSync(err);
  const s = { name, child, out, errFile };
  const exited = new Promise((_, reject) => child.once('exit', (code, sig) =>
    reject(new Error(`${name} server exited (${code ?? sig}) before it reported its port${stderrTail(s)}`))));
  exited.catch(() => {}); // only looked at in the race below
  const ms = WINE ? 90000 : 30000;
  const ready = out ? pollFile(out, ms) : firstLine(child.stdout);
  const line = await deadline(Promise.race([ready, exited]), ms, `${name} server start`);
  const info = JSON.parse(line);
  // Under Wine the process to measure is the Linux process running node.exe:
  // the wine loader turns into it, keeping the spawned pid.
  s.pid = out ? wineProcess(child.pid, out) : info.pid;
  s.port = info.port;
  s.control = info.control;
  return s;
}

function firstLine(stream) {
  return new Promise((resolve) => {
    let buf = '';
    stream.on('data', (d) => { buf += d; if (buf.includes('\n')) resolve(buf.split('\n')[0]); });
  });
}

// The first line of `file`, once there (polled for at most `ms`).
async function pollFile(file, ms) {
  for (const end = Date.now() + ms; Date.now() < end;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (text.includes('\n')) return text.split('\n')[0];
    await sleep(100);
  }
  return new Promise(() => {}); // the deadline around it reports the timeout
}

function wineProcess(pid, out) {
  try {
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('node.exe')) return pid;
  } catch { /* not there */ }
  return Number(execFileSync('pgrep', ['-n', '-f', out], { encoding: 'utf8' }).trim());
}

function stderrTail(s) {
  if (!s.errFile) return '';
  try {
    const t = fs.readFileSync(s.errFile, 'utf8').trim().split('\n').slice(-15).join('\n');
    return t ? `; its stderr:\n${t}` : '';
  } catch { return ''; }
}

function stopServer(s) {
  killGroup(s.child);
  if (s.out) for (const f of [s.out, s.errFile]) fs.rmSync(f, { force: true });
}

// One JSON line of memory figures (and the open-connection count) from a
// Node server's control port; works under Wine, where signals do not.
function control(port) {
  return deadline(new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    let buf = '';
    c.on('data', (d) => { buf += d; });
    c.on('end', () => { try { resolve(JSON.parse(buf)); } catch (e) { reject(e); } });
    c.on('error', reject);
  }), 30000, 'memory probe');
}

// ---------------------------------------------------------------- load
// Runs the C client on core 1; resolves with its JSON line.
function load(mode, server, conns, seconds) {
  const client = buildC('load', 'load.c');
  return new Promise((resolve, reject) => {
    const p = spawnTracked('taskset', ['-c', '1', client, mode, String(server.port), String(conns), String(seconds)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => killGroup(p), (seconds + 30) * 1000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        try { return resolve(JSON.parse(out)); } catch { return reject(new Error(`load ${mode}: not JSON: ${out.trim()}`)); }
      }
      // A moment for a crashed server's exit to be seen, then say what happened.
      setTimeout(() => {
        const state = server.child.exitCode_ === null ? 'is still running' : `exited (${server.child.exitCode_})${stderrTail(server)}`;
        reject(new Error(`load ${mode} x${conns} against ${server.name} failed (${signal ? `killed, ${signal}` : `exit ${code}`}): `
          + `${err.trim() || 'no message'}; the server ${state}`));
      }, 500);
    });
  });
}

async function measure(server, sc, seconds) {
  const before = procStats(server.pid);
  const ws = wine?.wineserverPid();
  const wsBefore = ws && procStats(ws);
  const r = await load(sc.mode, server, sc.conns, seconds);
  const after = procStats(server.pid);
  let wsAfter = null;
  try { wsAfter = ws && procStats(ws); } catch { /* wineserver restarted meanwhile */ }
  if (r.failed > r.ops / 100) log(`${sc.name}: ${server.name}: ${r.failed} connections refused or reset (${r.ops} served)`);
  const ops = sc.mode === 'pump' ? r.ops / 1e6 : r.ops; // per MB for pump
  const per = (a, b) => (ops > 0 ? (a - b) / ops : null);
  return {
    value: sc.mode === 'pump' ? r.MBps : r.perSecond, p50us: r.p50us ?? null, p99us: r.p99us ?? null,
    ctxPerOp: per(after.ctx, before.ctx), cpuUsPerOp: per(after.cpuUs, before.cpuUs),
    ...(wine ? { wsCtxPerOp: wsAfter ? per(wsAfter.ctx, wsBefore.ctx) : null, wsCpuUsPerOp: wsAfter ? per(wsAfter.cpuUs, wsBefore.cpuUs) : null } : {}),
  };
}

async function scenario(sc) {
  const servers = [];
  try {
    for (const name of sc.servers) servers.push(await startServer(name));
    const runs = Object.fromEntries(sc.servers.map((n) => [n, []]));
    for (const s of servers) { log(`${sc.name}: warm-up ${s.name}`); await load(sc.mode, s, sc.conns, WARMUP); }
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < servers.length; i++) {
        const s = servers[(i + round) % servers.length]; // each round starts with the next server
        const m = await measure(s, sc, SECONDS);
        runs[s.name].push(m);
        log(`${sc.name} round ${round + 1}/${ROUNDS}: ${s.name} ${fmt(m.value, 1)} ${sc.unit}`);
      }
    }
    return summarize(sc, runs);
  } finally {
    servers.forEach(stopServer);
  }
}

// Medians with min-max; `vsNet` against the better net style, `vsC` against epoll.
function summarize(sc, runs) {
  const summary = {};
  for (const [name, rs] of Object.entries(runs)) {
    const v = rs.map((r) => r.value);
    const med = (k) => { const xs = rs.map((r) => r[k]).filter((x) => x !== null && x !== undefined); return xs.length ? median(xs) : null; };
    summary[name] = { median: median(v), min: Math.min(...v), max: Math.max(...v), runs: v,
      p50us: med('p50us'), p99us: med('p99us'), ctxPerOp: med('ctxPerOp'), cpuUsPerOp: med('cpuUsPerOp'),
      ...(wine ? { wsCtxPerOp: med('wsCtxPerOp'), wsCpuUsPerOp: med('wsCpuUsPerOp') } : {}) };
  }
  const nets = Object.keys(summary).filter((n) => NET.has(n));
  const netBest = nets.length ? Math.max(...nets.map((n) => summary[n].median)) : null;
  const c = summary.epoll?.median;
  for (const [name, r] of Object.entries(summary)) {
    if (netBest && !NET.has(name)) {
      r.vsNet = r.median / netBest;
      for (const n of nets) r[`vs_${n}`] = r.median / summary[n].median; // each net style on its own
    }
    if (c && name !== 'epoll') r.vsC = r.median / c;
  }
  const afd = Object.keys(summary).find((n) => AFD.has(n));
  return { name: sc.name, unit: sc.unit, perOp: sc.perOp, servers: summary, afdVsNet: afd ? summary[afd].vsNet ?? null : null };
}

// ---------------------------------------------------------------- idle memory
// Bytes per idle connection: the client (another process, core 1) holds IDLE
// connections; the server's figures are taken before, and once it has
// accepted them all. The afd server has a read() pending on each.
async function idleMemory() {
  const rows = {};
  for (const name of IDLE_SERVERS) {
    log(`idle memory: ${name}, ${IDLE} connections`);
    const s = await startServer(name);
    let client;
    try {
      let baseFds;
      const probe = name === 'epoll'
        ? async () => ({ rss: rssBytes(s.pid), open: fdCount(s.pid) - baseFds }) // C server: RSS and descriptors from /proc
        : () => control(s.control);
      baseFds = fdCount(s.pid);
      const base = await probe();
      client = spawnTracked('taskset', ['-c', '1', buildC('load', 'load.c'), 'idle', String(s.port), String(IDLE), '60'],
        { stdio: ['pipe', 'pipe', 'pipe'] });
      let err = '';
      client.stderr.on('data', (d) => { err += d; });
      client.stdin.on('error', () => {}); // it may be gone by the time it is told to stop
      await deadline(new Promise((resolve, reject) => {
        client.stdout.once('data', resolve);
        client.once('exit', (c) => reject(new Error(`idle client exited (${c}): ${err.trim()}`)));
      }), 70000, 'idle client connecting');
      let now = await probe();
      for (let i = 0; i < 300 && now.open < IDLE; i++) { await sleep(100); now = await probe(); } // at most 30 s
      await sleep(500); // let it settle
      now = await probe();
      if (!(now.open > 0)) throw new Error(`idle memory: ${name} accepted no connection`);
      if (now.open < IDLE) log(`idle memory: ${name} accepted only ${now.open} of ${IDLE}`);
      const per = (k) => (now[k] === undefined ? null : Math.round((now[k] - base[k]) / now.open));
      rows[name] = { connections: now.open, rss: per('rss'), heapUsed: per('heapUsed'), external: per('external'), arrayBuffers: per('arrayBuffers') };
      log(`idle memory: ${name} ${rows[name].rss} bytes RSS per connection`);
    } finally {
      if (client) {
        client.stdin.end('\n'); // the client resets its connections and exits
        await Promise.race([new Promise((r) => client.once('exit', r)), sleep(5000)]);
        killGroup(client);
      }
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
    node: WINE ? `${path.basename(path.dirname(wine.node))} (node.exe under ${wine.version})` : process.version,
  };
}

function estimateSeconds() {
  const perScenario = RUN.map((s) => s.servers.length * (WARMUP + ROUNDS * SECONDS + (WINE ? 1 : 0.3)));
  return Math.round(perScenario.reduce((a, b) => a + b, 0) + (RUN_IDLE ? IDLE_SERVERS.length * (2 + IDLE / 5000) : 0));
}

async function main() {
  setTimeout(() => { log(`gave up after ${TIMEOUT_MIN} minutes (--timeout)`); process.exit(1); }, TIMEOUT_MIN * 60000).unref();
  if (!RUN.length && !RUN_IDLE) throw new Error('nothing to run: --only and --servers leave no scenario');
  checkLibrary();
  if (WINE) wine = require('./wine').setup(log);
  buildC('load', 'load.c');
  const started = Date.now();
  const results = { machine: machine(), date: new Date().toISOString(), wine: WINE, seconds: SECONDS, rounds: ROUNDS, warmup: WARMUP, scenarios: [] };
  const m = results.machine;
  log(`${m.cpu}, ${m.cores} cores, ${m.kernel}, node ${m.node}; ${ROUNDS} x ${SECONDS} s per server and scenario, about ${estimateSeconds()} s in all`);
  if (m.cores < 2) log('warning: fewer than 2 cores; the client and the servers share one');
  for (const sc of RUN) results.scenarios.push(await scenario(sc));
  if (RUN_IDLE) {
    results.idleConnections = IDLE;
    results.idle = await idleMemory();
  }
  results.elapsedSeconds = Math.round((Date.now() - started) / 1000);
  fs.mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  fs.writeFileSync(JSON_OUT, JSON.stringify(results, null, 2) + '\n');
  const { render } = await import('./chart.mjs');
  fs.mkdirSync(path.dirname(SVG_OUT), { recursive: true });
  fs.writeFileSync(SVG_OUT, await render(results));
  console.log(`afd-socket vs net.createServer${WINE ? ' (servers on Wine\'s node.exe)' : ''}: ${m.cpu}, ${m.cores} cores, ${m.kernel}, node ${m.node}`);
  console.log(table(results));
  console.log(`\nwrote ${path.relative(process.cwd(), JSON_OUT)} and ${path.relative(process.cwd(), SVG_OUT)} (${results.elapsedSeconds} s)`);
}

main().catch((err) => {
  // A bug in the runner gets its stack; a failed run, its message.
  const bug = err instanceof TypeError || err instanceof ReferenceError || err instanceof RangeError || err instanceof SyntaxError;
  console.error(`[bench] ${bug ? err.stack : err.message ?? err}`);
  process.exitCode = 1;
}).finally(() => {
  for (const c of [...children]) killGroup(c);
  wine?.cleanup();
});
