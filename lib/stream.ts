// AfdStream: a Node Duplex over an AfdSocket, with the net.Socket surface that
// http, https and tls touch. It calls the socket's inline paths directly, with
// no promise per chunk:
// - reading pulls what the kernel has while the readable side has room and
//   parks one bufferless readiness wait when it has nothing (so an idle
//   stream holds no receive buffer); it stops while the readable side is full;
// - writing hands each batch of chunks to the kernel in one gathered call
//   (_writev), and the callback runs when the kernel has taken every byte, so
//   write() returns false while bytes wait for room.
import { Duplex } from 'node:stream';
import { native, State } from './binding';
import { backend, counters } from './io';
import { traceSync } from './trace';
import type { AfdSocket } from './socket';

export interface StreamOptions {
  /** Keep the writable side open after the peer's FIN (default false, as net.Socket). */
  allowHalfOpen?: boolean;
}

export class AfdStream extends Duplex {
  /** The socket underneath. */
  readonly socket: AfdSocket;
  readonly connecting = false;
  private pulling = false;
  private timer: NodeJS.Timeout | undefined = undefined;
  private local: { address: string; port: number; family: string } | undefined = undefined;
  private peer: { address: string; port: number; family: string } | undefined = undefined;

  constructor(socket: AfdSocket, options: StreamOptions = {}) {
    super({ allowHalfOpen: options.allowHalfOpen === true, emitClose: true, autoDestroy: true });
    this.socket = socket;
    try {
      this.peer = { address: socket.remoteAddress, port: socket.remotePort, family: socket.remoteFamily };
    } catch {
      // closed already: the getters below return undefined
    }
  }

  // ---- readable side ------------------------------------------------------
  _read(): void {
    if (this.pulling) return;
    this.pulling = true;
    this.pull();
  }

  private pull(): void {
    for (;;) {
      let chunk: Buffer | null | undefined;
      try {
        chunk = this.socket.readSome(this.onReadable);
      } catch (err) {
        this.pulling = false;
        if (!this.destroyed) this.destroy(err as Error);
        return;
      }
      if (chunk === undefined) return; // a readiness wait is parked; onReadable goes on
      if (chunk === null) {
        this.pulling = false;
        this.push(null);
        return;
      }
      this.touch();
      if (!this.push(chunk)) {
        this.pulling = false;
        return;
      }
    }
  }

  private readonly onReadable = (err?: Error): void => {
    if (this.destroyed) return;
    if (err) {
      this.pulling = false;
      this.destroy(err);
      return;
    }
    this.pull();
  };

  // ---- writable side ------------------------------------------------------
  _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    this.send([chunk], callback);
  }

  _writev(chunks: Array<{ chunk: Buffer }>, callback: (err?: Error | null) => void): void {
    this.send(chunks.map((c) => c.chunk), callback);
  }

  private send(chunks: Buffer[], callback: (err?: Error | null) => void): void {
    let inline: boolean;
    try {
      inline = this.socket.writer.send(chunks, (err) => {
        this.touch();
        callback(err);
      });
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (inline) {
      this.touch();
      callback();
    }
  }

  _final(callback: (err?: Error | null) => void): void {
    this.socket.end().then(() => callback(), callback);
  }

  _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.clearTimer();
    this.socket.close().then(() => callback(err), () => callback(err));
  }

  /** Ends the writable side, then destroys the stream once it has finished (as net.Socket). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  // ---- net.Socket surface -------------------------------------------------
  get remoteAddress(): string | undefined { return this.peer?.address; }
  get remotePort(): number | undefined { return this.peer?.port; }
  get remoteFamily(): string | undefined { return this.peer?.family; }
  get localAddress(): string | undefined { return this.localInfo()?.address; }
  get localPort(): number | undefined { return this.localInfo()?.port; }
  get localFamily(): string | undefined { return this.localInfo()?.family; }
  get bytesRead(): number { return this.socket.bytesRead; }
  get bytesWritten(): number { return this.socket.bytesWritten; }
  get pending(): boolean { return false; }

  get readyState(): 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  address(): { address: string; port: number; family: string } | Record<string, never> {
    return this.localInfo() ?? {};
  }

  private localInfo(): { address: string; port: number; family: string } | undefined {
    if (this.local === undefined && !this.socket.endpoint.closed) {
      try {
        this.local = this.socket.address();
      } catch {
        return undefined;
      }
    }
    return this.local;
  }

  setNoDelay(noDelay = true): this {
    this.socket.setNoDelay(noDelay);
    return this;
  }

  /**
   * SO_KEEPALIVE with the idle time in ms (rounded to seconds), as
   * net.Socket: a refusal does not throw (stats().keepAliveFailures counts
   * it). Real Windows: SO_KEEPALIVE and TCP_KEEPALIVE through
   * IOCTL_AFD_TRANSPORT_IOCTL. Wine 8.0: SO_KEEPALIVE only (it has no IOCTL
   * for the idle time).
   */
  setKeepAlive(enable = false, initialDelay = 0): this {
    const ep = this.socket.endpoint;
    if (ep.closed) return this;
    traceSync();
    const state = native.setKeepAlive(ep.ep, enable, Math.max(0, Math.floor(initialDelay / 1000)));
    if (state === State.Failed) counters.keepAliveFailures++;
    return this;
  }

  /** Emits 'timeout' after `ms` without reads or writes (0 turns it off), as net.Socket. */
  setTimeout(ms: number, callback?: () => void): this {
    this.clearTimer();
    if (ms > 0) {
      this.timer = setTimeout(() => this.emit('timeout'), ms);
      this.timer.unref();
    }
    if (callback) {
      if (ms > 0) this.once('timeout', callback);
      else this.removeListener('timeout', callback);
    }
    return this;
  }

  ref(): this { this.socket.ref(); return this; }
  unref(): this { this.socket.unref(); return this; }

  private touch(): void {
    if (this.timer !== undefined) this.timer.refresh();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
