// AfdSocket: one connected TCP stream. Reads and writes are promises; the
// addon issues them straight to the kernel (AFD IOCTLs on Windows, syscalls on
// Linux), always inline on this thread: when the kernel has no data (or no
// room) the socket parks a readiness wait that holds no buffer, and tries
// again when it settles. So an idle read reserves no memory, and no kernel
// request ever keeps a pointer to a buffer the caller could detach.
import { native, State } from './binding';
import { Address, readAddress, writeAddress } from './address';
import { invalidArgType, invalidState, socketClosed, systemError, writeAfterEnd } from './errors';
import { Endpoint, Options, Parked, Wait, backend, lastStatus, lastValue, openEndpoint, scratch } from './io';
import { traceSync } from './trace';
import * as check from './validate';

const acceptSyscall = backend === 'linux' ? 'accept4' : 'accept';

// One receive buffer for every read() without `into`: the kernel copies into
// it inline, and the caller gets an exact-size copy (pooled when small).
const shared = Buffer.allocUnsafeSlow(64 * 1024);
const AGAIN = -1;
const noop = (): void => {};

export interface ConnectOptions {
  host: string;
  port: number;
  signal?: AbortSignal;
  noDelay?: boolean;
}

// A write the kernel has not taken whole yet, waiting its turn.
interface QueuedWrite {
  bytes: Uint8Array;
  length: number; // as passed: a detached buffer reads 0 later
  offset: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class AfdSocket {
  /** @internal */ readonly endpoint: Endpoint;
  private peer: Address | undefined = undefined;
  private queue: QueuedWrite[] | undefined = undefined; // writes behind a full send buffer
  private waitingWritable = false;
  private ended: Promise<void> | undefined = undefined;
  private flushed: (() => void) | undefined = undefined;

  /** @internal */
  constructor(endpoint: Endpoint, noDelay: boolean) {
    this.endpoint = endpoint;
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
      writeAddress(scratch, host, port); // read by native.connect below, synchronously
      await endpoint.run('connect', Wait.Connect, { peer, signal });
      return new AfdSocket(endpoint, noDelay);
    } catch (err) {
      await endpoint.close();
      throw err;
    }
  }

  get remoteAddress(): string { return this.remote().address; }
  get remotePort(): number { return this.remote().port; }
  get remoteFamily(): string { return this.remote().family; }

  private remote(): Address {
    if (this.peer === undefined) {
      traceSync();
      this.endpoint.call('getpeername', native.remoteAddress(this.endpoint.ep));
      this.peer = readAddress(scratch);
    }
    return this.peer;
  }

  address(): Address {
    traceSync();
    this.endpoint.call('getsockname', native.localAddress(this.endpoint.ep));
    return readAddress(scratch);
  }

  /**
   * Reads what is there: into `into` (resolving with a view of it), or into a
   * new Buffer of exactly the bytes read (at most 64 KiB). Null at end of stream.
   */
  read(into?: Uint8Array, options?: { signal?: AbortSignal }): Promise<Buffer | null> {
    let signal: AbortSignal | undefined;
    if (into !== undefined || options !== undefined) {
      try {
        if (into !== undefined && !(into instanceof Uint8Array)) throw invalidArgType('into', 'an instance of Buffer or Uint8Array', into);
        signal = check.signal('options.signal', check.object('options', options, true).signal);
      } catch (err) {
        return Promise.reject(err);
      }
      if (into !== undefined && into.byteLength === 0) return Promise.resolve(Buffer.alloc(0));
    }
    const ep = this.endpoint;
    if (ep.closed) return Promise.reject(socketClosed());
    const length = into === undefined ? 0 : into.byteLength;
    try {
      const n = recvNow(ep, into, length);
      if (n !== AGAIN) return Promise.resolve(result(into, n));
    } catch (err) {
      return Promise.reject(err);
    }
    return ep.run<Buffer | null>('recv', Wait.Readable, {
      signal,
      again: (p) => {
        try {
          const n = recvNow(ep, into, length);
          if (n === AGAIN) { ep.park(p); return; }
          p.done(result(into, n));
        } catch (err) {
          p.fail(err);
        }
      },
    });
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
    const ep = this.endpoint;
    if (ep.closed) return Promise.reject(socketClosed());
    const length = bytes.byteLength;
    if (length === 0) return Promise.resolve();
    let offset = 0;
    if (this.queue === undefined) {
      try {
        offset = sendNow(ep, bytes, 0, length);
      } catch (err) {
        return Promise.reject(err);
      }
      if (offset === length) return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      (this.queue ??= []).push({ bytes, length, offset, resolve, reject });
      this.waitWritable();
    });
  }

  // Parks one writable wait for the head of the queue (if none is parked).
  private waitWritable(): void {
    if (this.waitingWritable) return;
    this.waitingWritable = true;
    this.endpoint.run('send', Wait.Writable, { again: (p) => this.flush(p) }).then(noop, (err) => {
      this.waitingWritable = false;
      this.failQueue(err);
    });
  }

  // Room in the send buffer: send queued writes in order until it is full again.
  private flush(p: Parked): void {
    const q = this.queue!;
    while (q.length > 0) {
      const w = q[0];
      let offset: number;
      try {
        offset = sendNow(this.endpoint, w.bytes, w.offset, w.length);
      } catch (err) {
        q.shift();
        (err as { bytesWritten?: number }).bytesWritten ??= w.offset;
        w.reject(err);
        if ((err as { code?: string }).code === 'ERR_INVALID_STATE') continue; // only this write is lost
        this.waitingWritable = false;
        p.done(0);
        this.failQueue(err);
        return;
      }
      if (offset !== w.length) {
        w.offset = offset;
        this.endpoint.park(p);
        return;
      }
      q.shift();
      w.resolve();
    }
    this.queue = undefined;
    this.waitingWritable = false;
    p.done(0);
    if (this.flushed) this.flushed();
  }

  private failQueue(err: unknown): void {
    const q = this.queue;
    this.queue = undefined;
    if (q) for (const w of q) w.reject(err);
    if (this.flushed) this.flushed();
  }

  /** Shuts down the send side once the writes before it are done. */
  end(): Promise<void> {
    if (!this.ended) {
      const ep = this.endpoint;
      const shutdown = (): Promise<void> => ep.run('shutdown', Wait.Shutdown).then(noop);
      this.ended = this.queue === undefined
        ? shutdown()
        : new Promise<void>((resolve) => { this.flushed = resolve; }).then(shutdown);
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

// One inline recv: bytes read (0 at end of stream) or AGAIN. `length` is the
// caller's buffer length when the read began; a buffer detached since then
// reads 0 and is refused before any syscall, so no byte is taken from the stream.
function recvNow(ep: Endpoint, into: Uint8Array | undefined, length: number): number {
  if (into !== undefined && into.byteLength !== length) throw invalidState('The buffer passed to read() was detached or resized');
  traceSync();
  const state = native.recv(ep.ep, into ?? shared);
  if (state === State.Done) return lastValue();
  if (state === State.Again) return AGAIN;
  throw systemError('recv', lastStatus());
}

function result(into: Uint8Array | undefined, n: number): Buffer | null {
  if (n === 0) return null;
  if (into !== undefined) return Buffer.from(into.buffer, into.byteOffset, n);
  const out = Buffer.allocUnsafe(n);
  shared.copy(out, 0, 0, n);
  return out;
}

// Inline sends from `offset` until the kernel takes no more: the new offset.
function sendNow(ep: Endpoint, bytes: Uint8Array, offset: number, length: number): number {
  while (offset < length) {
    if (bytes.byteLength !== length) {
      const err = invalidState('The buffer passed to write() was detached or resized');
      (err as { bytesWritten?: number }).bytesWritten = offset;
      throw err;
    }
    traceSync();
    const state = native.send(ep.ep, bytes, offset);
    if (state === State.Again) return offset;
    if (state === State.Failed) throw systemError('send', lastStatus());
    offset += lastValue();
  }
  return offset;
}

/** @internal */
export function acceptInto(listener: Endpoint, noDelay: boolean, o: Options): Promise<AfdSocket> {
  return listener.run(acceptSyscall, Wait.Accept, {
    ...o,
    discard: (ep) => native.close(ep),
  }).then((ep) => new AfdSocket(new Endpoint(ep), noDelay));
}
