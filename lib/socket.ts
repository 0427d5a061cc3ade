// AfdSocket: one connected TCP stream. Reads and writes are promises; the
// addon issues them straight to the kernel (AFD IOCTLs on Windows, syscalls on
// Linux) and settles them from its completion thread.
import { native } from './binding';
import { Address, readAddress, writeAddress } from './address';
import { invalidArgType, writeAfterEnd } from './errors';
import { Endpoint, Options, backend, openEndpoint, scratch } from './io';
import { traceSync } from './trace';
import * as check from './validate';

const READ_SIZE = 64 * 1024;
const acceptSyscall = backend === 'linux' ? 'accept4' : 'accept';

export interface ConnectOptions {
  host: string;
  port: number;
  signal?: AbortSignal;
  noDelay?: boolean;
}

export class AfdSocket {
  /** @internal */ readonly endpoint: Endpoint;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  private writing: Promise<unknown> = Promise.resolve();
  private ended: Promise<void> | undefined;

  /** @internal */
  constructor(endpoint: Endpoint, noDelay: boolean) {
    this.endpoint = endpoint;
    endpoint.call('getpeername', native.remoteAddress(endpoint.ep));
    const peer = readAddress(scratch);
    this.remoteAddress = peer.address;
    this.remotePort = peer.port;
    this.remoteFamily = peer.family;
    if (noDelay) this.setNoDelay(true);
  }

  static async connect(options: ConnectOptions): Promise<AfdSocket> {
    const o = check.object('options', options);
    const { host, family } = check.host('options.host', o.host);
    const port = check.port('options.port', o.port);
    const noDelay = check.boolean('options.noDelay', o.noDelay, true);
    const signal = check.signal('options.signal', o.signal);
    const endpoint = openEndpoint(family);
    const peer = { address: host, port };
    try {
      await endpoint.run('connect', (req) => {
        writeAddress(scratch, host, port);
        return native.connect(endpoint.ep, req);
      }, { peer, signal });
      return new AfdSocket(endpoint, noDelay);
    } catch (err) {
      await endpoint.close();
      throw err;
    }
  }

  address(): Address {
    traceSync();
    this.endpoint.call('getsockname', native.localAddress(this.endpoint.ep));
    return readAddress(scratch);
  }

  /** Reads what is there (up to `into.length` or 64 KiB); null at end of stream. */
  async read(into?: Uint8Array, options?: { signal?: AbortSignal }): Promise<Buffer | null> {
    if (into !== undefined && !(into instanceof Uint8Array)) throw invalidArgType('into', 'an instance of Buffer or Uint8Array', into);
    const signal = check.signal('options.signal', check.object('options', options, true).signal);
    const buf = into ?? Buffer.allocUnsafe(READ_SIZE);
    const n = await this.endpoint.run('recv', (req) => native.recv(this.endpoint.ep, buf, req), { keep: buf, signal });
    if (n === 0 && buf.length > 0) return null;
    return Buffer.from(buf.buffer, buf.byteOffset, n);
  }

  /** Resolves once every byte has been handed to the kernel. */
  write(data: Uint8Array | string): Promise<void> {
    let bytes: Uint8Array;
    try {
      bytes = check.bytes('data', data);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.ended) return Promise.reject(writeAfterEnd());
    const done = bytes.length === 0
      ? Promise.resolve(0)
      : this.endpoint.run('send', (req) => native.send(this.endpoint.ep, bytes, req), { keep: bytes });
    this.writing = done.catch(() => undefined);
    return done.then(() => undefined);
  }

  /** Shuts down the send side once the writes before it are done. */
  end(): Promise<void> {
    if (!this.ended) {
      this.ended = this.writing.then(() =>
        this.endpoint.run('shutdown', (req) => native.shutdown(this.endpoint.ep, req))).then(() => undefined);
    }
    return this.ended;
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }

  setNoDelay(enable = true): this {
    if (!this.endpoint.closed) {
      traceSync();
      native.setNoDelay(this.endpoint.ep, enable !== false);
    }
    return this;
  }

  ref(): this { this.endpoint.ref(); return this; }
  unref(): this { this.endpoint.unref(); return this; }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      const chunk = await this.read();
      if (chunk === null) return;
      yield chunk;
    }
  }
}

/** @internal */
export function acceptInto(listener: Endpoint, noDelay: boolean, o: Options): Promise<AfdSocket> {
  return listener.run(acceptSyscall, (req) => native.accept(listener.ep, req), {
    ...o,
    discard: (ep) => native.close(ep),
  }).then((ep) => new AfdSocket(new Endpoint(ep), noDelay));
}
