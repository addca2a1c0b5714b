/**
 * Why a browser's socket was refused, asked over HTTP. A browser cannot read why an upgrade was
 * refused: after a socket that never opened, the connection loads this module (a chunk of its own
 * in a code-splitting bundle, so an app downloads it only after such a failure, never at start)
 * and asks `GET /sdk/flags` with the key. A readable 401/403 names the reason (a revoked key, a
 * client key); an unreadable answer from a server that is there (a no-cors request goes through)
 * means CORS refused this origin; no answer at all: the server is away (undefined, no reason).
 */
export async function diagnose(flagsUrl: string, sdkKey: string): Promise<string | undefined> {
  try {
    const res = await fetch(flagsUrl, { headers: { authorization: 'Bearer ' + sdkKey } });
    if (/^40[13]$/.test('' + res.status)) return ((await res.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message ?? 'refused: ' + res.status;
  } catch {
    return fetch(flagsUrl, { mode: 'no-cors' }).then(
      () => 'origin not in ALLOWED_ORIGINS',
      () => undefined,
    );
  }
}
