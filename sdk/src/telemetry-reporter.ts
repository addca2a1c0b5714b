/**
 * The telemetry reporter: every `everyMs` it sends the evaluation counts (and the reach
 * sketches, when attached) over the live socket, at most MAX_TELEMETRY_COUNTS entries a
 * message. Without a live socket it sends nothing and the counts keep adding up.
 */
import type { Reach, WebSocketLike } from './client-types.js';
import { MAX_TELEMETRY_COUNTS, type TelemetryCount } from './protocol.js';

/**
 * Reports every `everyMs` (0 or less: never) on a timer that does not keep a Node process alive:
 * the reach sketches, then what `counts()` returns, over `live()`; nothing while there is no live
 * socket. Returns the stop function.
 */
export function startReporter(everyMs: number, live: () => WebSocketLike | undefined, counts: () => TelemetryCount[], reach?: Reach | null): () => void {
  const timer =
    everyMs > 0
      ? setInterval(() => {
          const ws = live();
          if (!ws) return;
          reach?.send(ws);
          const all = counts();
          for (let i = 0; i < all.length; i += MAX_TELEMETRY_COUNTS) ws.send(JSON.stringify({ type: 'telemetry', counts: all.slice(i, i + MAX_TELEMETRY_COUNTS) }));
        }, everyMs)
      : undefined;
  (timer as { unref?: () => void } | undefined)?.unref?.();
  return () => clearInterval(timer);
}
