// The same http.createServer handler, on node:net.
'use strict';
const http = require('node:http');
const { report } = require('./common');
const { handler } = require('./http-handler');

const server = http.createServer(handler);
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => report({ port: server.address().port }, () => ({})));
