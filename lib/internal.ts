// Test hooks, not part of the public API.
import { native } from './binding';

export { native };

/** Windows builds: switch every dialect point to 'windows' or 'wine' IOCTLs at run time. */
export function setDialect(name: 'windows' | 'wine' | 'wine-blocking'): void {
  if (!native.setDialect(name)) throw new Error(`afd-socket: no dialect '${name}' on this backend`);
}

export function dialect(): string {
  return native.dialect();
}
