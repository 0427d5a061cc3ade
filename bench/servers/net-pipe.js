// node:net echo server, pipe style.
'use strict';
const net = require('node:net');
const { report } = require('./common');

let open = 0;
const server = net.createServer({ noDelay: true }, (c) => {
  open++;
  c.on('error', () => {});
  c.on('close', () => { open--; });
  c.pipe(c);
});
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => report({ port: server.address().port }, () => ({ open })));
