export { backend } from './io';
export { AfdListener } from './listener';
export type { ListenOptions, Share } from './listener';
export { AfdSocket } from './socket';
export type { ConnectOptions } from './socket';
export type { Address } from './address';
export { AbortError } from './errors';
export type { SystemError } from './errors';
