/**
 * Each replica's live streams per SDK key, as its heartbeat row carries them
 * (`replicas.key_streams`, migrations/0023), so MAX_CONNECTIONS_PER_KEY counts every replica's.
 */
/** A row's `key_streams` JSON: {"<key id>": count}; anything else reads as none. */
export function parseKeyStreams(text: string | null | undefined): Record<string, number> {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(v)) if (Number.isSafeInteger(n) && (n as number) > 0) out[k] = n as number;
    return out;
  } catch {
    return {};
  }
}

/** The other replicas' counts summed per key id. */
export function sumKeyStreams(rows: Iterable<Record<string, number>>): Map<string, number> {
  const sum = new Map<string, number>();
  for (const row of rows) for (const [id, n] of Object.entries(row)) sum.set(id, (sum.get(id) ?? 0) + n);
  return sum;
}
