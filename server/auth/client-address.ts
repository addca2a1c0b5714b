import type http from 'node:http';
import ipaddr from 'ipaddr.js';
import { ConfigError } from '../errors.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (!ipaddr.isValid(address)) return undefined;
  const a = ipaddr.parse(address);
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

/** Parses TRUST_PROXY: comma-separated addresses or CIDRs (`10.0.0.0/8`, `::1`). */
export function parseTrustedProxies(list: string[]): Range[] {
  return list.map((entry) => {
    try {
      if (entry.includes('/')) {
        const [a, bits] = ipaddr.parseCIDR(entry);
        const n = normalise(a.toString());
        return [n!, n!.kind() === a.kind() ? bits : bits - 96] as Range;
      }
      const a = normalise(entry);
      if (!a) throw new Error('not an address');
      return [a, a.kind() === 'ipv4' ? 32 : 128] as Range;
    } catch {
      throw new ConfigError(`TRUST_PROXY entries must be IP addresses or CIDRs (e.g. 10.0.0.0/8, ::1), got "${entry}"`);
    }
  });
}

/**
 * The client's address for the auth-failure limiter: the socket's peer, unless that peer is
 * a trusted proxy, in which case X-Forwarded-For is read from the right, skipping trusted
 * proxies, to the first address that is not one. A forged header from anyone else is ignored.
 */
export function clientAddressResolver(trusted: Range[]): (req: http.IncomingMessage) => string {
  const isTrusted = (addr: string): boolean => {
    const a = normalise(addr);
    return a !== undefined && trusted.some(([range, bits]) => range.kind() === a.kind() && (a as ipaddr.IPv4).match(range as ipaddr.IPv4, bits));
  };
  return (req) => {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (trusted.length === 0 || !isTrusted(peer)) return normalise(peer)?.toString() ?? peer;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!;
      if (!normalise(hop)) break; // garbage: stop at the last address we could trust
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return normalise(client)?.toString() ?? client;
  };
}
