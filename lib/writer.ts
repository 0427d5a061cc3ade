// The send side of a socket. Writes go to the kernel inline and in order;
// what the kernel has no room for waits in a queue behind one writable wait,
// which holds no buffer, and goes on from there when it settles. Several
// chunks go to the kernel in one gathered call (sendmsg; a WSABUF array).
// Each chunk's length is remembered: a chunk detached (transferred) while it
// waits reads 0 bytes long and is refused before any syscall sees it.
import { native, State } from './binding';
import { invalidState, socketClosed, systemError } from './errors';
import { Endpoint, Parked, lastStatus, lastValue, releaseId, takeId } from './io';
import { traceSync } from './trace';

type Done = (err?: Error) => void;

// A write the kernel has not taken whole yet.
interface Pending {
  chunks: Uint8Array[];
  lengths: number[]; // as passed
  index: number; // next chunk to send
  offset: number; // into chunks[index]
  written: number; // bytes of this write the kernel has taken
  done: Done;
}

const withWritten = (err: Error, written: number): Error => {
  (err as { bytesWritten?: number }).bytesWritten = written;
  return err;
};

export class Writer {
  private queue: Pending[] | undefined = undefined;
  private req = 0; // the writable wait the last step() parked
  private onIdle: (() => void) | undefined = undefined;
  /** Bytes the kernel has taken, all writes together. */
  bytesWritten = 0;

  constructor(private readonly endpoint: Endpoint) {}

  get idle(): boolean { return this.queue === undefined; }

  /**
   * One buffer, inline, when nothing is queued: the offset the kernel took it
   * to. Short of `length`, a writable wait is parked; queue() the rest next.
   */
  sendNow(bytes: Uint8Array, length: number): number {
    const ep = this.endpoint.ep;
    let offset = 0;
    while (offset < length) {
      if (bytes.byteLength !== length) throw withWritten(detached(), offset);
      traceSync();
      const req = takeId();
      const state = native.send(ep, bytes, offset, req);
      if (state === State.Pending) { this.req = req; break; }
      releaseId(req);
      if (state === State.Failed) throw withWritten(systemError('send', lastStatus()), offset);
      offset += lastValue();
    }
    this.bytesWritten += offset;
    return offset;
  }

  /** The rest of a buffer sendNow() left, after the wait it parked. */
  queueRest(bytes: Uint8Array, length: number, offset: number, done: Done): void {
    this.queue = [{ chunks: [bytes], lengths: [length], index: 0, offset, written: offset, done }];
    this.wait();
  }

  /**
   * Chunks after whatever is queued. Returns true when the kernel took them
   * all inline (`done` is not called then); else `done` is called later.
   * Throws what the kernel said when nothing was queued.
   */
  send(chunks: Uint8Array[], done: Done): boolean {
    if (chunks.some((c) => c.byteLength === 0)) chunks = chunks.filter((c) => c.byteLength > 0); // nothing to send
    if (chunks.length === 0) return true;
    const w: Pending = { chunks, lengths: chunks.map((c) => c.byteLength), index: 0, offset: 0, written: 0, done };
    if (this.queue !== undefined) {
      this.queue.push(w);
      return false;
    }
    if (this.step(w)) return true;
    this.queue = [w];
    this.wait();
    return false;
  }

  /** Calls `fn` once nothing is queued (at once if nothing is). */
  whenIdle(fn: () => void): void {
    if (this.queue === undefined) fn();
    else this.onIdle = fn;
  }

  // Sends w's chunks until all are taken (true) or the kernel is full (a
  // writable wait is parked under this.req). Throws, with bytesWritten.
  private step(w: Pending): boolean {
    const ep = this.endpoint.ep;
    while (w.index < w.chunks.length) {
      for (let i = w.index; i < w.chunks.length && i < w.index + 64; i++) {
        if (w.chunks[i].byteLength !== w.lengths[i]) {
          const n = this.copiedBytes();
          w.written += n;
          this.bytesWritten += n;
          throw withWritten(detached(), w.written);
        }
      }
      traceSync();
      const req = takeId();
      const state = w.index === w.chunks.length - 1
        ? native.send(ep, w.chunks[w.index], w.offset, req)
        : native.sendv(ep, w.chunks, w.index, w.offset, req);
      if (state === State.Pending) { this.req = req; return false; }
      releaseId(req);
      if (state === State.Failed) throw withWritten(systemError(w.chunks.length > 1 ? 'writev' : 'send', lastStatus()), w.written);
      let n = lastValue();
      w.written += n;
      this.bytesWritten += n;
      while (n > 0) {
        const left = w.lengths[w.index] - w.offset;
        if (n < left) { w.offset += n; break; }
        n -= left;
        w.index++;
        w.offset = 0;
      }
    }
    return true;
  }

  // Bytes of the write in progress that went out from the library's own
  // copy before its buffer was detached (Windows' fallback path copies;
  // elsewhere this is 0). A native send with no bytes asks.
  private copiedBytes(): number {
    traceSync();
    return native.send(this.endpoint.ep, NO_BYTES, 0, 0) === State.Done ? lastValue() : 0;
  }

  private wait(): void {
    this.endpoint.parked<void>(this.req, 'send', { again: (p) => this.flush(p) }).then(undefined, (err) => this.fail(err));
  }

  // The writable wait settled: send queued writes in order until the kernel
  // is full again (then wait once more) or the queue is empty.
  private flush(p: Parked): void {
    const q = this.queue!;
    while (q.length > 0) {
      const w = q[0];
      try {
        if (!this.step(w)) { this.endpoint.hold(p, this.req); return; }
      } catch (err) {
        q.shift();
        w.done(err as Error);
        if ((err as { code?: string }).code === 'ERR_INVALID_STATE') continue; // only this write is cut short
        p.done(undefined);
        this.fail(err as Error);
        return;
      }
      q.shift();
      w.done();
    }
    this.queue = undefined;
    p.done(undefined);
    this.idleNow();
  }

  // Rejects every queued write: the head with `err`, the rest with an error
  // of their own when the socket was closed, else with the same error. None
  // of their remaining bytes is sent; bytesWritten says what each one got.
  fail(err: Error): void {
    const q = this.queue;
    this.queue = undefined;
    if (q) {
      const closed = (err as { code?: string }).code === 'ERR_SOCKET_CLOSED';
      q.forEach((w, i) => w.done(i === 0 ? withWritten(err, w.written) : closed ? withWritten(socketClosed(), w.written) : err));
    }
    this.idleNow();
  }

  private idleNow(): void {
    const fn = this.onIdle;
    this.onIdle = undefined;
    if (fn) fn();
  }
}

const NO_BYTES = new Uint8Array(0);

function detached(): Error {
  return invalidState('A buffer passed to write() was detached or resized');
}
