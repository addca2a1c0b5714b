// Preloaded (`node --import`) into a tool that must work offline: every attempt to resolve a name
// or open a socket is written to $NO_NETWORK_LOG and refused, so a test can say "it fetched nothing".
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';

const refuse = (what) => {
  if (process.env.NO_NETWORK_LOG) fs.appendFileSync(process.env.NO_NETWORK_LOG, `${what}\n`);
  return new Error(`no network in this test: ${what}`);
};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const o = args[0];
  const target = typeof o === 'object' && o !== null ? (o.path ?? `${o.host ?? ''}:${o.port ?? ''}`) : String(o);
  if (typeof o === 'object' && o?.path) return connect.apply(this, args); // a local socket file is not the network
  throw refuse(`connect ${target}`);
};
dns.lookup = (host, ...rest) => {
  const cb = rest.pop();
  process.nextTick(() => cb(refuse(`lookup ${host}`)));
};
dns.promises.lookup = async (host) => {
  throw refuse(`lookup ${host}`);
};
