// Argument checks: everything is refused here, with Node's codes, before a
// single call reaches the kernel.
import { familyOf } from './address';
import { AbortError, badPort, invalidArgType, invalidArgValue } from './errors';

export function object(name: string, v: unknown, optional = false): Record<string, unknown> {
  if (v === undefined && optional) return {};
  if (v === null || typeof v !== 'object') throw invalidArgType(name, 'of type object', v);
  return v as Record<string, unknown>;
}

export function host(name: string, v: unknown, fallback?: string): { host: string; family: 4 | 6 } {
  if (v === undefined && fallback !== undefined) v = fallback;
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
  const literal = v.includes('%') ? v.slice(0, v.indexOf('%')) : v;
  const family = familyOf(literal);
  if (family === 0) throw invalidArgValue(name, v, 'must be an IPv4 or IPv6 address literal (no name resolution)');
  return { host: v, family };
}

export function port(name: string, v: unknown, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < 0 || v > 65535) throw badPort(name, v);
  return v;
}

export function integer(name: string, v: unknown, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < min || v > max) throw invalidArgValue(name, v, `must be an integer >= ${min} and <= ${max}`);
  return v;
}

export function boolean(name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw invalidArgType(name, 'of type boolean', v);
  return v;
}

export function oneOf<T extends string>(name: string, v: unknown, values: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
  if (!values.includes(v as T)) throw invalidArgValue(name, v, `must be one of ${values.map((x) => `'${x}'`).join(', ')}`);
  return v as T;
}

export function signal(name: string, v: unknown): AbortSignal | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || !('aborted' in v) || typeof (v as AbortSignal).addEventListener !== 'function')
    throw invalidArgType(name, 'an instance of AbortSignal', v);
  const s = v as AbortSignal;
  if (s.aborted) throw new AbortError(s.reason);
  return s;
}

export function bytes(name: string, v: unknown): Uint8Array {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return v;
  throw invalidArgType(name, 'of type string or an instance of Buffer or Uint8Array', v);
}
