// The `afd-socket:syscall` diagnostics channel. The addon publishes only while
// the channel has subscribers; each public call first syncs that state, which
// costs one property read when nobody listens.
import dc from 'node:diagnostics_channel';
import { native } from './binding';

export const channel = dc.channel('afd-socket:syscall');
let on = false;
const publish = (message: object): void => channel.publish(message);

export function traceSync(): void {
  const want = channel.hasSubscribers;
  if (want === on) return;
  on = want;
  native.setTrace(want ? publish : null);
}
