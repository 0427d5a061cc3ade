'use strict';
// The port diagnostics: EADDRINUSE names the holder, and `afd-socket` (the
// CLI) with who, ports, experiment and trace, run as a user would.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile, spawn } = require('node:child_process');
const { afd, useCleanup } = require('./helpers');

const BIN = path.join(__dirname, '..', 'bin', 'afd-socket.js');
const linux = afd.backend === 'linux';
const wine = afd.backend === 'afd-wine';

function cli(args, env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, timeout: 60000 },
      (err, stdout, stderr) => resolve({ code: err ? err.code : 0, stdout, stderr }));
  });
}

// A node:net server in a child process: its pid and port.
async function netChild(track) {
  const child = spawn(process.execPath, ['-e',
    'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => console.log(s.address().port)); setTimeout(() => {}, 60000);'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  track(() => child.kill());
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (c) => reject(new Error(`child exited ${c}`)));
  });
  return { pid: child.pid, port };
}

describe('port diagnostics', function () {
  this.timeout(60000);
  const track = useCleanup();

  it('EADDRINUSE from a net server in a child process names that child (natively), or says the holder is unknown (Wine)', async function () {
    const { pid, port } = await netChild(track);
    const err = await afd.AfdListener.listen({ host: '127.0.0.1', port }).then((l) => { track(l); return null; }, (e) => e);
    assert.ok(err, 'the bind must fail');
    assert.equal(err.code, 'EADDRINUSE');
    if (wine) {
      assert.deepEqual(err.owner, { pid: null, name: null });
      assert.match(err.message, /\(holder unknown: .*pid 0/);
    } else {
      assert.deepEqual(err.owner, { pid, name: linux ? 'node' : err.owner.name });
      assert.match(err.message, new RegExp(`\\(held by pid ${pid}, `));
    }
  });

  it('who <port> lists the listening child', async function () {
    const { pid, port } = await netChild(track);
    const { code, stdout } = await cli(['who', String(port), '--json']);
    assert.equal(code, 0);
    const rows = JSON.parse(stdout);
    const listen = rows.find((r) => r.state === 'LISTEN');
    assert.ok(listen, stdout);
    assert.equal(listen.local, `127.0.0.1:${port}`);
    if (wine) assert.equal(listen.pid, null);
    else assert.equal(listen.pid, pid);
    const text = await cli(['who', String(port)]);
    assert.match(text.stdout, /pid\s+name\s+local\s+remote\s+state/);
  });

  it('who on a port nobody uses exits 1; bad usage exits 2', async function () {
    // A port below the ephemeral range that no socket uses now: no connection
    // (not even one in TIME_WAIT) gets it by chance meanwhile.
    let port = 20000;
    while (afd.tcpTable(port).length > 0 && port > 10000) port--;
    assert.equal((await cli(['who', String(port)])).code, 1);
    assert.equal((await cli(['who', 'not-a-port'])).code, 2);
    assert.equal((await cli(['bogus'])).code, 2);
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /experiment \[--port N\]/);
  });

  it('ports reports the range as the system has it, and its source', async function () {
    const { code, stdout } = await cli(['ports', '--json']);
    assert.equal(code, 0);
    const r = JSON.parse(stdout);
    if (linux) {
      const [first, last] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
      assert.deepEqual(r.ephemeral.range, { first, last });
      assert.equal(r.ephemeral.source, '/proc/sys/net/ipv4/ip_local_port_range');
      assert.equal(r.unprivilegedStart.port, Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8')));
    } else if (wine) {
      assert.equal(r.ephemeral.range, null, 'Wine\'s netsh does not say');
      assert.match(r.ephemeral.source, /^unknown: netsh/);
    } else {
      assert.ok(r.ephemeral.range.first > 0 && r.ephemeral.range.last <= 65535);
    }
    assert.ok(Number.isInteger(r.inUse.ephemeral) && r.inUse.timeWait <= r.inUse.ephemeral);
  });

  it('experiment prints one row per attempt, with the kernel calls each made', async function () {
    const { code, stdout } = await cli(['experiment', '--json']);
    assert.equal(code, 0);
    const { port, attempts } = JSON.parse(stdout);
    const by = (what) => attempts.find((a) => a.what === what);
    assert.equal(by('wildcard address').result, `bound, port ${port}`);
    assert.match(by('loopback beside it').result, /^EADDRINUSE /);
    assert.match(by('port 0: the system picks').result, /^bound, port [1-9]\d*$/);
    for (const share of ['unique', 'wildcard', 'exclusive']) assert.match(by(`second bind, share ${share}`).result, /^EADDRINUSE /);
    // SO_REUSEPORT shares the port on Linux; Wine ignores AFD's ShareAccess.
    assert.match(by('second bind, share reuse').result, linux ? /^bound/ : /^EADDRINUSE /);
    assert.equal(by('IPv6 loopback beside it').result, `bound, port ${port}`);
    assert.ok(by('a port below 1024').result, 'the low port gives a result either way');
    const bindLine = linux ? new RegExp(`^bind\\(\\d+, 127\\.0\\.0\\.1:${port}\\) = -1 EADDRINUSE`)
      : new RegExp(`IOCTL_AFD_BIND, \\{share=unique, 127\\.0\\.0\\.1:${port}\\}\\) = STATUS_`);
    assert.ok(by('loopback beside it').calls.some((c) => bindLine.test(c)), by('loopback beside it').calls.join('\n'));
    const text = await cli(['experiment']);
    assert.match(text.stdout, /attempt\s+what\s+address\s+share\s+result/);
  });

  it('trace <script> runs the script with every kernel call on stderr', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afd-trace-'));
    track(() => fs.rmSync(dir, { recursive: true, force: true }));
    const script = path.join(dir, 'listen.js');
    fs.writeFileSync(script, `require(${JSON.stringify(path.resolve(__dirname, '..'))}).AfdListener`
      + `.listen({ host: '127.0.0.1', port: 0 }).then((l) => { console.log('port', l.address().port); return l.close(); });`);
    const { code, stdout, stderr } = await cli(['trace', script]);
    assert.equal(code, 0, stderr);
    const port = Number(/port (\d+)/.exec(stdout)[1]);
    assert.ok(port > 0);
    assert.match(stderr, linux ? /^bind\(\d+, 127\.0\.0\.1:0\) = 0  \d+us$/m : /IOCTL_AFD_BIND, \{share=unique, 127\.0\.0\.1:0\}\) = STATUS_SUCCESS/m);
  });
});
