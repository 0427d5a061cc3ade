// An HTTP server from node:http, on an AfdListener: the http.Server is
// Node's own; only the listening socket and the connections are afd-socket.
//
//   node examples/http-hello.js [port]       then: curl http://127.0.0.1:<port>/
'use strict';
const http = require('node:http');
const { serve, backend } = require('afd-socket');

async function main() {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`hello from ${backend}: ${req.method} ${req.url}\n`);
  });
  const listener = await serve(server, { host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });
  const { address, port } = listener.address();
  console.log(`listening on http://${address}:${port}/`);
  process.once('SIGINT', () => listener.close());
  process.once('SIGTERM', () => listener.close());
  if (process.env.AFD_EXAMPLE_ONE_REQUEST) {
    // For the test: ask once, print the answer, stop.
    const answer = await new Promise((resolve, reject) => {
      http.get(`http://${address}:${port}/check`, { agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve(`${res.statusCode} ${text.trim()}`));
      }).on('error', reject);
    });
    console.log(answer);
    server.closeAllConnections();
    await listener.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
