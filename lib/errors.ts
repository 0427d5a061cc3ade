// Errors shaped like node:net's: code, errno (Node's own number for that code
// on this platform), syscall, address, port; plus the raw NTSTATUS on Windows.
import util from 'node:util';
import { native } from './binding';

const errnoByName = new Map<string, number>();
for (const [errno, [name]] of util.getSystemErrorMap()) errnoByName.set(name, errno);

export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  address?: string;
  port?: number;
  ntstatus?: number;
}

export interface Peer { address: string; port: number }

let windows = false;
export function setWindows(on: boolean): void { windows = on; }

// `status` is an NTSTATUS (Windows) or an errno (Linux), as the addon reports it.
export function systemError(syscall: string, status: number, peer?: Peer): SystemError {
  const code = native.errorName(status);
  const where = peer ? ` ${peer.address}:${peer.port}` : '';
  // One stack capture, not two: `new Error` would walk the stack as well.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const err = new Error(`${syscall} ${code}${where}`) as SystemError;
  Error.stackTraceLimit = limit;
  err.errno = errnoByName.get(code) ?? -Math.abs(status);
  err.code = code;
  err.syscall = syscall;
  if (peer) {
    err.address = peer.address;
    err.port = peer.port;
  }
  if (windows) err.ntstatus = status >>> 0;
  Error.captureStackTrace(err, systemError);
  return err;
}

function coded<E extends Error>(err: E, code: string): E & { code: string } {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as E & { code: string };
}

export function socketClosed(): Error & { code: string } {
  return coded(new Error('Socket is closed'), 'ERR_SOCKET_CLOSED');
}

export function invalidState(message: string): Error & { code: string } {
  return coded(new Error(message), 'ERR_INVALID_STATE');
}

export function writeAfterEnd(): Error & { code: string } {
  return coded(new Error('write after end'), 'ERR_STREAM_WRITE_AFTER_END');
}

export class AbortError extends Error {
  code = 'ABORT_ERR';
  constructor(cause?: unknown) {
    super('The operation was aborted', cause === undefined ? undefined : { cause });
    this.name = 'AbortError';
  }
}

export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & { code: string } {
  const got = actual === null ? 'null' : typeof actual === 'object' ? 'an instance of ' + (actual as object).constructor?.name : `type ${typeof actual} (${util.inspect(actual)})`;
  return coded(new TypeError(`The "${name}" argument must be ${expected}. Received ${got}`), 'ERR_INVALID_ARG_TYPE');
}

export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError & { code: string } {
  return coded(new TypeError(`The argument '${name}' ${reason}. Received ${util.inspect(value)}`), 'ERR_INVALID_ARG_VALUE');
}

export function badPort(name: string, value: unknown): RangeError & { code: string } {
  return coded(new RangeError(`${name} should be >= 0 and < 65536. Received ${util.inspect(value)}.`), 'ERR_SOCKET_BAD_PORT');
}
