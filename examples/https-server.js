// An HTTPS server from node:https, on an AfdListener: TLS runs in Node over
// the afd-socket stream of each connection.
//
//   node examples/https-server.js key.pem cert.pem [port]
'use strict';
const fs = require('node:fs');
const https = require('node:https');
const { serve, backend } = require('afd-socket');

async function main() {
  const [keyFile, certFile, port = '0'] = process.argv.slice(2);
  if (!keyFile || !certFile) {
    console.error('usage: node examples/https-server.js key.pem cert.pem [port]');
    process.exit(2);
  }
  const cert = fs.readFileSync(certFile);
  const server = https.createServer({ key: fs.readFileSync(keyFile), cert }, (req, res) => {
    res.end(`secure hello from ${backend}: ${req.url}\n`);
  });
  const listener = await serve(server, { host: '127.0.0.1', port: Number(port) });
  const where = `https://127.0.0.1:${listener.address().port}/`;
  console.log(`listening on ${where}`);
  process.once('SIGINT', () => listener.close());
  if (process.env.AFD_EXAMPLE_ONE_REQUEST) {
    // For the test: one request that trusts exactly this certificate, then stop.
    const body = await new Promise((resolve, reject) => {
      https.get(where + 'check', { ca: cert, servername: 'localhost', agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve(`${res.statusCode} ${text.trim()} (${res.socket.getProtocol?.() ?? 'tls'})`));
      }).on('error', reject);
    });
    console.log(body);
    server.closeAllConnections();
    await listener.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
