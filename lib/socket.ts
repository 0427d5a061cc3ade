// AfdSocket: one connected TCP stream. Reads and writes are promises; the
// addon issues them straight to the kernel (AFD IOCTLs on Windows, syscalls on
// Linux), always inline on this thread: when the kernel has no data (or no
// room) the socket parks a readiness wait that holds no buffer, and tries
// again when it settles. So an idle read reserves no memory, and no kernel
// request ever keeps a pointer to a buffer the caller could detach.
import { native, State } from './binding';
import { Address, readAddress, writeAddress } from './address';
import { invalidArgType, invalidState, socketClosed, systemError, writeAfterEnd } from './errors';
import { AfdStream, StreamOptions } from './stream';
import { Writer } from './writer';
import { Endpoint, Options, Parked, Role, Wait, closeWhenUnreachable, counters, backend, lastStatus, lastValue, openEndpoint, releaseId, scratch, takeId } from './io';
import { traceSync } from './trace';
import * as check from './validate';

const acceptSyscall = backend === 'linux' ? 'accept4' : 'accept';

// One receive buffer for every read() without `into`: the kernel copies into
// it inline, and the caller gets an exact-size copy (pooled when small).
export const SHARED_READ_BYTES = 64 * 1024;
const shared = Buffer.allocUnsafeSlow(SHARED_READ_BYTES);
const PARKED = -1; // the addon parked a readiness wait instead
const noop = (): void => {};
const settle = (resolve: () => void, reject: (err: Error) => void) => (err?: Error): void => {
  if (err) reject(err);
  else resolve();
};
const chunkResult = (chunk: Buffer | null): IteratorResult<Buffer> =>
  chunk === null ? DONE : { done: false, value: chunk };

export interface ConnectOptions {
  host: string;
  port: number;
  signal?: AbortSignal;
  noDelay?: boolean;
}

export class AfdSocket {
  /** @internal */ readonly endpoint: Endpoint;
  private peer: Address | undefined = undefined;
  private sender: Writer | undefined = undefined; // made on the first write
  private ended: Promise<void> | undefined = undefined;
  /** Bytes read so far. */
  bytesRead = 0;
  private stream: AfdStream | undefined = undefined;

  /** @internal */
  constructor(endpoint: Endpoint, noDelay: boolean) {
    this.endpoint = endpoint;
    endpoint.setRole(Role.Socket);
    closeWhenUnreachable(this, endpoint);
    if (noDelay) this.setNoDelay(true);
  }

  static async connect(options: ConnectOptions): Promise<AfdSocket> {
    const o = check.object('options', options);
    const checked = check.host('options.host', o.host);
    const family = checked.family;
    // The unspecified address means this machine, as libuv rewrites it:
    // Windows refuses a connect to it (EADDRNOTAVAIL), Linux takes it as
    // loopback. Both backends connect to loopback.
    const host = checked.host === '0.0.0.0' ? '127.0.0.1' : checked.host === '::' ? '::1' : checked.host;
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
    return this.receive(into, signal, false);
  }

  // read(), resolving with the chunk or, for the iterator, an IteratorResult.
  private receive(into: Uint8Array | undefined, signal: AbortSignal | undefined, iter: boolean): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const ep = this.endpoint;
    if (ep.closed) return Promise.reject(socketClosed());
    const length = into === undefined ? 0 : into.byteLength;
    const req = takeId();
    const n = recvNow(ep, into, length, req);
    if (n !== PARKED) {
      releaseId(req);
      if (n < 0) return Promise.reject(readError(n));
      this.bytesRead += n;
      const chunk = result(into, n);
      return Promise.resolve(iter ? chunkResult(chunk) : chunk);
    }
    return new Promise((resolve, reject) => {
      ep.track(new ReadWait(this, into, length, iter, resolve, reject, signal ? { signal } : undefined), req);
    });
  }

  /** @internal A parked read's readiness wait settled: receive now, or wait again. */
  retry(p: ReadWait): void {
    const ep = this.endpoint;
    const req = takeId();
    const n = recvNow(ep, p.into, p.length, req);
    if (n === PARKED) { ep.hold(p, req); return; }
    releaseId(req);
    if (n < 0) { p.fail(readError(n)); return; }
    this.bytesRead += n;
    const chunk = result(p.into, n);
    p.done(p.iter ? chunkResult(chunk) : chunk);
  }

  /**
   * @internal For streams: what is there now as an exact-size Buffer, null at
   * end of stream, or undefined once a readiness wait (holding no buffer) is
   * parked; `onReady(err?)` is called when it settles. Throws read errors.
   */
  readSome(onReady: (err?: Error) => void): Buffer | null | undefined {
    const ep = this.endpoint;
    if (ep.closed) throw socketClosed();
    const req = takeId();
    const n = recvNow(ep, undefined, 0, req);
    if (n === PARKED) {
      ep.wait(req, 'recv', {}, () => onReady(), (err) => onReady(err as Error));
      return undefined;
    }
    releaseId(req);
    if (n < 0) throw readError(n);
    this.bytesRead += n;
    return result(undefined, n);
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
    if (this.endpoint.closed) return Promise.reject(socketClosed());
    const length = bytes.byteLength;
    if (length === 0) return Promise.resolve();
    const writer = this.writer;
    if (!writer.idle) return new Promise<void>((resolve, reject) => { writer.send([bytes], settle(resolve, reject)); });
    let offset: number;
    try {
      offset = writer.sendNow(bytes, length);
    } catch (err) {
      return Promise.reject(err);
    }
    if (offset === length) return Promise.resolve();
    return new Promise<void>((resolve, reject) => { writer.queueRest(bytes, length, offset, settle(resolve, reject)); });
  }

  /** Bytes handed to the kernel so far. */
  get bytesWritten(): number { return this.sender?.bytesWritten ?? 0; }

  /** @internal The send side, made on first use: an idle connection has none. */
  get writer(): Writer {
    return (this.sender ??= new Writer(this.endpoint));
  }

  /** Shuts down the send side once the writes before it are done. */
  end(): Promise<void> {
    if (!this.ended) {
      const ep = this.endpoint;
      this.ended = new Promise<void>((resolve) => this.writer.whenIdle(resolve))
        .then(() => ep.run('shutdown', Wait.Shutdown)).then(noop);
    }
    return this.ended;
  }

  /** @internal Whether end() was called. */
  get ending(): boolean { return this.ended !== undefined; }

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

  /**
   * A Node Duplex over this socket, with the net.Socket surface that http,
   * https and tls use. Reading stops while the readable side is full, and
   * write() returns false while bytes wait for room in the kernel.
   */
  toStream(options?: StreamOptions): AfdStream {
    this.stream ??= new AfdStream(this, options);
    return this.stream;
  }

  ref(): this { this.endpoint.ref(); return this; }
  unref(): this { this.endpoint.unref(); return this; }

  /** @internal read() for the iterator: resolves with an IteratorResult, no second promise. */
  readResult(): Promise<IteratorResult<Buffer>> { return this.receive(undefined, undefined, true); }

  /** Yields chunks as read() returns them; ends at end of stream. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> {
    return new Chunks(this);
  }
}

// One inline recv: bytes read (0 at end of stream), PARKED, FAILED (the
// status is in the slot) or DETACHED. `length` is the caller's buffer length
// when the read began; a buffer detached since then reads 0 and is refused
// before any syscall, so no byte is taken from the stream. Errors are made
// by the caller, without a throw on this path.
//
// Without `into`, small reads land in the shared buffer and are copied out
// exact-size. A socket whose last such read took BIG_READ bytes or more is
// streaming: its next read goes straight into a fresh 64 KiB buffer, handed
// out as a view, which saves the copy (libuv reads the same way).
const FAILED = -2;
const DETACHED = -3;
const BIG_READ = 16 * 1024;
let target: Buffer = shared; // where the last read without `into` went
function recvNow(ep: Endpoint, into: Uint8Array | undefined, length: number, req: number): number {
  if (into !== undefined && into.byteLength !== length) return DETACHED;
  traceSync();
  if (into === undefined) target = ep.bigReads ? Buffer.allocUnsafe(SHARED_READ_BYTES) : shared;
  const state = native.recv(ep.ep, into ?? target, req);
  if (state === State.Done) {
    const n = lastValue();
    if (into === undefined) ep.bigReads = n >= BIG_READ;
    return n;
  }
  return state === State.Pending ? PARKED : FAILED;
}

function readError(n: number): Error {
  return n === DETACHED ? invalidState('The buffer passed to read() was detached or resized') : systemError('recv', lastStatus());
}

function result(into: Uint8Array | undefined, n: number): Buffer | null {
  if (n === 0) return null;
  if (into !== undefined) return Buffer.from(into.buffer, into.byteOffset, n);
  if (target !== shared) return target.subarray(0, n);
  const out = Buffer.allocUnsafe(n);
  shared.copy(out, 0, 0, n);
  return out;
}

// The iterator for `for await (const chunk of socket)`: prototype methods, so
// an idle connection waiting in a loop costs one small object, no closures.
const DONE: IteratorResult<Buffer> = Object.freeze({ done: true, value: undefined });
class Chunks implements AsyncIterableIterator<Buffer> {
  constructor(private readonly socket: AfdSocket) {}
  next(): Promise<IteratorResult<Buffer>> { return this.socket.readResult(); }
  return(): Promise<IteratorResult<Buffer>> { return Promise.resolve(DONE); }
  [Symbol.asyncIterator](): AsyncIterableIterator<Buffer> { return this; }
}

// A parked read: no closure, its state in fields, its retry on the socket.
class ReadWait extends Parked {
  constructor(
    readonly socket: AfdSocket,
    readonly into: Uint8Array | undefined,
    readonly length: number,
    readonly iter: boolean,
    resolve: (value: unknown) => void,
    reject: (err: unknown) => void,
    o: Options | undefined,
  ) {
    super(socket.endpoint, 'recv', resolve, reject, o);
  }

  ready(): void { this.socket.retry(this); }
}

/** @internal */
export function acceptInto(listener: Endpoint, noDelay: boolean, o: Options): Promise<AfdSocket> {
  return listener.run(acceptSyscall, Wait.Accept, {
    ...o,
    discard: (ep) => native.close(ep),
  }).then((ep) => new AfdSocket(new Endpoint(ep), noDelay));
}
