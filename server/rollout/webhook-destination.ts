/**
 * Where a webhook may go. A destination is refused when any address it resolves to is not global
 * unicast (loopback, private, link-local, unique-local, CGNAT, multicast, unspecified, reserved,
 * IPv4-mapped IPv6 of those, ...), unless an admin allowlisted its host (`WEBHOOK_ALLOW`).
 * Ranges come from ipaddr.js; only its `unicast` (nothing special) range may be reached.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** One `WEBHOOK_ALLOW` entry: a host (any port) or a host and a port. Hosts lowercased, IPv6 without brackets. */
export interface AllowEntry {
  host: string;
  port?: number;
}

export class WebhookRefused extends Error {}

function normalHost(h: string): string {
  return h.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
}

/** Parses `WEBHOOK_ALLOW`: `host`, `host:port`, `[v6]`, `[v6]:port`, comma-separated. Throws on a bad entry. */
export function parseAllowlist(value: string | undefined): AllowEntry[] {
  const out: AllowEntry[] = [];
  for (const raw of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw) ?? (raw.split(':').length === 2 ? /^([^:]+):(\d+)$/.exec(raw) : /^([^:]+|[0-9a-fA-F:.]+)$/.exec(raw));
    const port = m?.[2] === undefined ? undefined : Number(m[2]);
    if (!m || (port !== undefined && (port < 1 || port > 65535))) {
      throw new Error(`WEBHOOK_ALLOW entry "${raw}" is not a host or host:port (IPv6 as [addr] or [addr]:port)`);
    }
    out.push(port === undefined ? { host: normalHost(m[1]!) } : { host: normalHost(m[1]!), port });
  }
  return out;
}

function portOf(u: URL): number {
  return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

export function isAllowlisted(u: URL, allow: readonly AllowEntry[]): boolean {
  const host = normalHost(u.hostname);
  const port = portOf(u);
  return allow.some((a) => a.host === host && (a.port === undefined || a.port === port));
}

/** Why an address may not be reached ("loopback", "private", ...), or null for a global unicast one. */
export function internalRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  return range === 'unicast' ? null : range;
}

function literalOf(u: URL): string | null {
  const h = normalHost(u.hostname);
  return net.isIP(h) ? h : null;
}

/** Names that resolve to loopback by definition (RFC 6761), refused without asking DNS. */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

/**
 * The check at validation time (a plan PUT, WEBHOOK_URL at start): an IP literal or a localhost
 * name that is internal and not allowlisted. Names are resolved on every delivery instead.
 * Returns the reason, or null when the URL may be stored.
 */
export function staticRefusal(url: string, allow: readonly AllowEntry[]): string | null {
  const u = new URL(url);
  if (isAllowlisted(u, allow)) return null;
  const host = normalHost(u.hostname);
  if (isLocalhostName(host)) return `${host} is loopback`;
  const literal = literalOf(u);
  const range = literal ? internalRange(literal) : null;
  return range ? `${literal} is ${range}` : null;
}

export type LookupFn = (host: string, opts: { all: true }) => Promise<Array<{ address: string; family: number }>>;

const defaultLookup: LookupFn = (host, opts) => dns.promises.lookup(host, opts);

/**
 * Resolves a delivery's destination: every address the host resolves to must be reachable (one
 * internal address refuses it all). The caller connects to the returned address, so DNS cannot
 * answer differently between the check and the connection. Throws WebhookRefused.
 */
export async function resolveDestination(url: URL, allow: readonly AllowEntry[], lookup: LookupFn = defaultLookup): Promise<{ address: string; family: number }> {
  const host = normalHost(url.hostname);
  const allowed = isAllowlisted(url, allow);
  const literal = literalOf(url);
  if (!allowed && isLocalhostName(host)) throw new WebhookRefused(`${host} is loopback`);
  const addresses = literal ? [{ address: literal, family: net.isIP(literal) }] : await lookup(host, { all: true });
  if (addresses.length === 0) throw new WebhookRefused(`${host} resolves to no address`);
  if (!allowed) {
    for (const a of addresses) {
      const range = internalRange(a.address);
      if (range) throw new WebhookRefused(`${host} resolves to ${a.address} (${range})`);
    }
  }
  return addresses[0]!;
}
