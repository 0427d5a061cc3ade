// afd-socket echo server on the public API, written as the README shows.
'use strict';
const { AfdListener } = require('../..');
const { report } = require('./common');

let open = 0;
(async () => {
  const listener = await AfdListener.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
  await report({ port: listener.address().port }, () => ({ open }));
  for await (const socket of listener) {
    open++;
    (async () => {
      try {
        for await (const chunk of socket) await socket.write(chunk);
      } catch {
        // a reset from the load client
      }
      open--;
      await socket.close();
    })();
  }
})();
