// The same http.createServer handler, on an AfdListener through serve().
'use strict';
const http = require('node:http');
const { serve } = require('../..');
const { report } = require('./common');
const { handler } = require('./http-handler');

(async () => {
  const server = http.createServer(handler);
  const listener = await serve(server, { host: '127.0.0.1', port: 0, backlog: 4096 });
  await report({ port: listener.address().port }, () => ({}));
})();
