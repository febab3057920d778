/**
 * Many small MQTT packets leave a socket within one event-loop turn (an event batch, its acks, the
 * PUBACKs of a burst). Corking the socket on the first write of a turn and uncorking on the next
 * tick hands them to the kernel in one writev instead of one syscall each; nothing waits longer
 * than the current turn.
 */
import type { Socket } from 'node:net';

const patched = new WeakSet<Socket>();

export function coalesceWrites(socket: Socket): void {
  if (patched.has(socket)) return;
  patched.add(socket);
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    if (!socket.destroyed) socket.uncork();
  };
  socket.write = ((...args: unknown[]) => {
    if (!corked && !socket.destroyed) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write(...args);
  }) as Socket['write'];
}
