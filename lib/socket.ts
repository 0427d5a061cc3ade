// AfdSocket: one connected TCP stream. Reads and writes are promises; the
// addon issues them straight to the kernel (AFD IOCTLs on Windows, syscalls on
// Linux), always inline on this thread: when the kernel has no data (or no
// room) the socket parks a readiness wait that holds no buffer, and tries
// again when it settles. So an idle read reserves no memory, and no kernel
// request ever keeps a pointer to a buffer the caller could detach.
import { native, State } from './binding';
import { Address, readAddress, writeAddress } from './address';
import { invalidArgType, invalidState, socketClosed, systemError, writeAfterEnd } from './errors';
import { Endpoint, Options, Parked, Role, Wait, counters, backend, lastStatus, lastValue, openEndpoint, releaseId, scratch, takeId } from './io';
import { traceSync } from './trace';
import * as check from './validate';

const acceptSyscall = backend === 'linux' ? 'accept4' : 'accept';

// One receive buffer for every read() without `into`: the kernel copies into
// it inline, and the caller gets an exact-size copy (pooled when small).
export const SHARED_READ_BYTES = 64 * 1024;
const shared = Buffer.allocUnsafeSlow(SHARED_READ_BYTES);
const PARKED = -1; // the addon parked a readiness wait instead
const noop = (): void => {};
const chunkResult = (chunk: Buffer | null): IteratorResult<Buffer> =>
  chunk === null ? { done: true, value: undefined } : { done: false, value: chunk };

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
  private sendReq = 0; // the writable wait the last sendNow() parked
  private ended: Promise<void> | undefined = undefined;
  private flushed: (() => void) | undefined = undefined;

  /** @internal */
  constructor(endpoint: Endpoint, noDelay: boolean) {
    this.endpoint = endpoint;
    endpoint.setRole(Role.Socket);
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
    let req = takeId();
    const n = recvNow(ep, into, length, req);
    if (n !== PARKED) {
      releaseId(req);
      return n >= 0 ? Promise.resolve(result(into, n)) : Promise.reject(readError(n));
    }
    return ep.parked<Buffer | null>(req, 'recv', {
      signal,
      again: (p) => {
        req = takeId();
        const n = recvNow(ep, into, length, req);
        if (n === PARKED) { ep.hold(p, req); return; }
        releaseId(req);
        if (n >= 0) p.done(result(into, n));
        else p.fail(readError(n));
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
    if (this.queue !== undefined) {
      return new Promise<void>((resolve, reject) => { this.queue!.push({ bytes, length, offset: 0, resolve, reject }); });
    }
    let offset: number;
    try {
      offset = this.sendNow(bytes, 0, length);
    } catch (err) {
      return Promise.reject(err);
    }
    if (offset === length) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => { this.queue = [{ bytes, length, offset, resolve, reject }]; });
    ep.parked<void>(this.sendReq, 'send', { again: (p) => this.flush(p) }).then(noop, (err) => this.failQueue(err));
    return done;
  }

  // Inline sends from `offset` until every byte is taken or the kernel has no
  // room; then the addon has parked a writable wait under this.sendReq.
  private sendNow(bytes: Uint8Array, offset: number, length: number): number {
    const ep = this.endpoint.ep;
    while (offset < length) {
      if (bytes.byteLength !== length) {
        const err = invalidState('The buffer passed to write() was detached or resized');
        (err as { bytesWritten?: number }).bytesWritten = offset;
        throw err;
      }
      traceSync();
      const req = takeId();
      const state = native.send(ep, bytes, offset, req);
      if (state === State.Pending) { this.sendReq = req; return offset; }
      releaseId(req);
      if (state === State.Failed) throw systemError('send', lastStatus());
      offset += lastValue();
    }
    return offset;
  }

  // The writable wait settled: send queued writes in order until the kernel
  // is full again (then wait once more) or the queue is empty.
  private flush(p: Parked): void {
    const q = this.queue!;
    while (q.length > 0) {
      const w = q[0];
      try {
        w.offset = this.sendNow(w.bytes, w.offset, w.length);
      } catch (err) {
        q.shift();
        (err as { bytesWritten?: number }).bytesWritten ??= w.offset;
        w.reject(err);
        if ((err as { code?: string }).code === 'ERR_INVALID_STATE') continue; // only this write is cut short
        p.done(undefined);
        this.failQueue(err);
        return;
      }
      if (w.offset !== w.length) { this.endpoint.hold(p, this.sendReq); return; }
      q.shift();
      w.resolve();
    }
    this.queue = undefined;
    p.done(undefined);
    if (this.flushed) this.flushed();
  }

  // Rejects every queued write: the head with `err` (saying how much of it
  // the kernel took), the rest with an error of their own when the socket was
  // closed, else with the same error. None of their remaining bytes is sent.
  private failQueue(err: unknown): void {
    const q = this.queue;
    this.queue = undefined;
    if (q) {
      const closed = (err as { code?: string }).code === 'ERR_SOCKET_CLOSED';
      q.forEach((w, i) => {
        const e = i > 0 && closed ? socketClosed() : err;
        (e as { bytesWritten?: number }).bytesWritten = w.offset;
        w.reject(e);
      });
    }
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
      if (native.setNoDelay(this.endpoint.ep, enable !== false) === State.Failed) counters.noDelayFailures++;
    }
    return this;
  }

  ref(): this { this.endpoint.ref(); return this; }
  unref(): this { this.endpoint.unref(); return this; }

  /** Yields chunks as read() returns them; ends at end of stream. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    const read = (): Promise<IteratorResult<Buffer>> => this.read().then(chunkResult);
    return {
      next: read,
      return: (): Promise<IteratorResult<Buffer>> => Promise.resolve({ done: true, value: undefined }),
      [Symbol.asyncIterator]() { return this; },
    };
  }
}

// One inline recv: bytes read (0 at end of stream), PARKED, FAILED (the
// status is in the slot) or DETACHED. `length` is the caller's buffer length
// when the read began; a buffer detached since then reads 0 and is refused
// before any syscall, so no byte is taken from the stream. Errors are made
// by the caller, without a throw on this path.
const FAILED = -2;
const DETACHED = -3;
function recvNow(ep: Endpoint, into: Uint8Array | undefined, length: number, req: number): number {
  if (into !== undefined && into.byteLength !== length) return DETACHED;
  traceSync();
  const state = native.recv(ep.ep, into ?? shared, req);
  if (state === State.Done) return lastValue();
  return state === State.Pending ? PARKED : FAILED;
}

function readError(n: number): Error {
  return n === DETACHED ? invalidState('The buffer passed to read() was detached or resized') : systemError('recv', lastStatus());
}

function result(into: Uint8Array | undefined, n: number): Buffer | null {
  if (n === 0) return null;
  if (into !== undefined) return Buffer.from(into.buffer, into.byteOffset, n);
  const out = Buffer.allocUnsafe(n);
  shared.copy(out, 0, 0, n);
  return out;
}

/** @internal */
export function acceptInto(listener: Endpoint, noDelay: boolean, o: Options): Promise<AfdSocket> {
  return listener.run(acceptSyscall, Wait.Accept, {
    ...o,
    discard: (ep) => native.close(ep),
  }).then((ep) => new AfdSocket(new Endpoint(ep), noDelay));
}
