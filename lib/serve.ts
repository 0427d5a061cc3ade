// serve(): puts any server that takes connections from net (http.Server,
// https.Server, tls.Server, an http2 server) on an AfdListener. Each accepted
// socket goes to the server as a stream, through its own 'connection' event,
// as net.Server would hand it a net.Socket.
import type { EventEmitter } from 'node:events';
import { AfdListener, ListenOptions } from './listener';

export interface ServeOptions extends ListenOptions {}

/**
 * Listens on `options` and feeds every accepted connection to `server`, then
 * emits the server's 'listening' (http starts its connection tracking and
 * timeouts there). server.close() closes the listener too, as does
 * listener.close(); closeAllConnections() and friends work as with net.
 */
export async function serve(server: EventEmitter, options: ServeOptions = {}): Promise<AfdListener> {
  const listener = await AfdListener.listen(options);
  const allowHalfOpen = (server as { allowHalfOpen?: boolean }).allowHalfOpen === true;
  server.once('close', () => { listener.close().catch(() => {}); });
  (async () => {
    for await (const socket of listener) server.emit('connection', socket.toStream({ allowHalfOpen }));
  })().catch((err) => server.emit('error', err));
  server.emit('listening');
  return listener;
}
