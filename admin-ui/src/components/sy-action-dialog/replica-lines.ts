import type { ReplicaPropagation } from '@switchyard-flags/sdk/protocol';

/**
 * One line per replica of a cluster under the delivery figures: "replica a: 3 of 3", and for a
 * replica that stopped beating "replica b: gone 12 s ago, its 300 SDKs reconnecting" (they are
 * not in the totals; they count again where they reconnect).
 */
export function replicaLines(replicas: readonly ReplicaPropagation[]): Array<{ text: string; gone: boolean }> {
  return replicas.map((r) => {
    if (r.status === 'gone') {
      const ago = agoText(r.goneForMs ?? 0);
      const sdks = r.connected === 1 ? 'its 1 SDK' : `its ${r.connected} SDKs`;
      return { text: `replica ${r.name}: gone ${ago} ago${r.connected > 0 ? `, ${sdks} reconnecting` : ''}`, gone: true };
    }
    const pending = r.pending > 0 ? ` (${r.pending} pending)` : '';
    return { text: `replica ${r.name}: ${r.acknowledged} of ${r.connected}${pending}`, gone: false };
  });
}

function agoText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}
