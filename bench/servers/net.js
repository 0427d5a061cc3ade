// node:net echo server, noDelay on, in either usual style:
//   node net.js pipe    c.pipe(c)
//   node net.js data    c.on('data', (d) => c.write(d))
'use strict';
const net = require('node:net');
const { report } = require('./common');

const style = process.argv[2];
if (style !== 'pipe' && style !== 'data') throw new Error('usage: node net.js pipe|data');
let open = 0;
const server = net.createServer({ noDelay: true }, (c) => {
  open++;
  c.on('error', () => {});
  c.on('close', () => { open--; });
  if (style === 'pipe') c.pipe(c);
  else c.on('data', (d) => c.write(d));
});
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => report({ port: server.address().port }, () => ({ open })));
