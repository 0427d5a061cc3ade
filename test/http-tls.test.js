'use strict';
// Node's http, https and tls over AfdListener / AfdSocket streams, with real
// clients; and the examples, each run as its own process.

const assert = require('node:assert/strict');
const http = require('node:http');
const https = require('node:https');
const tls = require('node:tls');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { once } = require('node:events');
const selfsigned = require('selfsigned');
const { afd, useCleanup, withTimeout, sha256, randomBytes, MiB } = require('./helpers');

let pems;
async function certificate() {
  pems ??= await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
    days: 2, keySize: 2048, extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
  });
  return pems;
}

function get(url, options = {}) {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    mod.get(url, options, (res) => {
      const localPort = res.socket.localPort;
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), localPort }));
    }).on('error', reject);
  });
}

function run(script, args = [], env = {}) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(__dirname, '..', 'examples', script), ...args],
      { env: { ...process.env, ...env }, timeout: 60000 }, (err, stdout, stderr) => resolve({ err, stdout, stderr }));
  });
}

describe('http, https and tls over afd-socket', function () {
  this.timeout(120000);
  const track = useCleanup();

  it('http.Server on serve(): 200 keep-alive requests on one connection, and fetch (natively)', async function () {
    const server = http.createServer((req, res) => res.end(`echo ${req.url}`));
    const listener = track(await afd.serve(server, { host: '127.0.0.1', port: 0 }));
    track(() => server.closeAllConnections());
    const base = `http://127.0.0.1:${listener.address().port}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    track(() => agent.destroy());
    const ports = new Set();
    for (let i = 0; i < 200; i++) {
      const r = await get(`${base}/r${i}`, { agent });
      assert.equal(r.status, 200);
      assert.equal(r.body, `echo /r${i}`);
      ports.add(r.localPort);
    }
    assert.equal(ports.size, 1, 'every request on the same kept-alive connection');
    // Wine 8.0's node.exe cannot fetch() at all: undici's connect fails with
    // UNKNOWN against any server, node:net's included.
    if (afd.backend !== 'afd-wine') {
      const f = await fetch(`${base}/fetch`);
      assert.equal(await f.text(), 'echo /fetch');
    }
  });

  it('serve() emits listening; server.close() closes the listener too', async function () {
    const server = http.createServer((req, res) => res.end('x'));
    let listening = 0;
    server.on('listening', () => { listening++; });
    const listener = await afd.serve(server, { host: '127.0.0.1', port: 0 });
    const { port } = listener.address();
    assert.equal(listening, 1);
    assert.equal((await get(`http://127.0.0.1:${port}/`, { agent: false })).body, 'x');
    server.close();
    await once(server, 'close');
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(afd.AfdSocket.connect({ host: '127.0.0.1', port }), (e) => e.code === 'ECONNREFUSED');
  });

  it('an HTTP server under load: 16 keep-alive connections, 3,000 requests, every response checked', async function () {
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (d) => chunks.push(d));
      req.on('end', () => res.end(`${req.headers['x-id']}:${sha256(chunks).slice(0, 16)}`));
    });
    const listener = track(await afd.serve(server, { host: '127.0.0.1', port: 0 }));
    track(() => server.closeAllConnections());
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    track(() => agent.destroy());
    const { port } = listener.address();
    const deadline = Date.now() + 90000;
    let next = 0;
    let ok = 0;
    async function worker() {
      while (next < 3000 && Date.now() < deadline) {
        const id = next++;
        const body = randomBytes(id % 2048);
        const r = await new Promise((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'x-id': id } }, (res) => {
            let text = '';
            res.on('data', (d) => { text += d; });
            res.on('end', () => resolve(text));
          });
          req.on('error', reject);
          req.end(body);
        });
        assert.equal(r, `${id}:${sha256(body).slice(0, 16)}`);
        ok++;
      }
    }
    await Promise.all(Array.from({ length: 16 }, worker));
    assert.equal(ok, 3000);
  });

  it('TLS: 1 MiB echoed both ways with both ends on afd sockets', async function () {
    const { private: key, cert } = await certificate();
    const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const accepting = listener.accept();
    const client = track(await afd.AfdSocket.connect({ host: '127.0.0.1', port: listener.address().port }));
    const server = track(await accepting);
    // Half-open, as an echo needs: the peer's FIN must not end our side before the echo is out.
    const secureServer = new tls.TLSSocket(server.toStream({ allowHalfOpen: true }), { isServer: true, key, cert });
    secureServer.on('data', (d) => secureServer.write(d)); // echo
    secureServer.on('end', () => secureServer.end());
    const secureClient = tls.connect({ socket: client.toStream(), ca: cert, servername: 'localhost' });
    await withTimeout(once(secureClient, 'secureConnect'), 20000, 'handshake');
    assert.equal(secureClient.authorized, true, String(secureClient.authorizationError));
    const data = randomBytes(MiB);
    const got = [];
    secureClient.on('data', (d) => got.push(d));
    secureClient.end(data);
    await withTimeout(once(secureClient, 'end'), 30000, 'echo back');
    assert.equal(sha256(got), sha256(data));
    secureClient.destroy();
    secureServer.destroy();
  });

  it('https.Server on serve(), with a certificate made by the test', async function () {
    const { private: key, cert } = await certificate();
    const server = https.createServer({ key, cert }, (req, res) => res.end(`secure ${req.url}`));
    const listener = track(await afd.serve(server, { host: '127.0.0.1', port: 0 }));
    track(() => server.closeAllConnections());
    const r = await get(`https://127.0.0.1:${listener.address().port}/x`, { ca: cert, servername: 'localhost', agent: false });
    assert.equal(r.status, 200);
    assert.equal(r.body, 'secure /x');
  });

  describe('examples', function () {
    it('examples/echo.js echoes 1 MiB to a node:net client and an AfdSocket client', async function () {
      const { err, stdout, stderr } = await run('echo.js');
      assert.equal(err, null, stderr);
      assert.equal((stdout.match(/sha256 [0-9a-f]{16} matches/g) || []).length, 2, stdout);
      assert.match(stdout, /listener closed/);
    });

    it('examples/http-hello.js answers a request', async function () {
      const { err, stdout, stderr } = await run('http-hello.js', [], { AFD_EXAMPLE_ONE_REQUEST: '1' });
      assert.equal(err, null, stderr);
      assert.match(stdout, new RegExp(`^200 hello from ${afd.backend}: GET /check$`, 'm'));
    });

    it('examples/https-server.js answers over TLS with the test\'s certificate', async function () {
      const { private: key, cert } = await certificate();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afd-https-'));
      track(() => fs.rmSync(dir, { recursive: true, force: true }));
      fs.writeFileSync(path.join(dir, 'key.pem'), key);
      fs.writeFileSync(path.join(dir, 'cert.pem'), cert);
      const { err, stdout, stderr } = await run('https-server.js', [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')],
        { AFD_EXAMPLE_ONE_REQUEST: '1' });
      assert.equal(err, null, stderr);
      assert.match(stdout, new RegExp(`^200 secure hello from ${afd.backend}: /check \\(TLSv1\\.[23]\\)$`, 'm'));
    });

    it('examples/port-check.js tells an open port from a closed one', async function () {
      const listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
      const open = listener.address().port;
      const closedListener = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
      const closed = closedListener.address().port;
      await closedListener.close();
      const { err, stdout, stderr } = await run('port-check.js', [String(open), String(closed), '--timeout', '3000']);
      assert.equal(err, null, stderr);
      assert.match(stdout, new RegExp(`^127\\.0\\.0\\.1:${open} open$`, 'm'));
      assert.match(stdout, new RegExp(`^127\\.0\\.0\\.1:${closed} closed \\(ECONNREFUSED\\)$`, 'm'));
    });
  });
});
