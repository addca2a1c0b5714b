// Preload (`node --require bench/lib/no-network.cjs`): records every attempt to open a socket
// or resolve a name, so a bench can prove that offline evaluation touched no network.
// Attempts are refused (an error), never made.
const net = require('node:net');
const tls = require('node:tls');
const dns = require('node:dns');

const calls = (globalThis.__networkCalls = []);
function refuse(what, args) {
  const a = args[0];
  calls.push(`${what} ${typeof a === 'object' && a !== null ? `${a.host ?? ''}:${a.port ?? a.path ?? ''}` : String(a)}`);
  throw new Error(`bench: network is off (${what})`);
}
for (const [mod, name] of [[net, 'connect'], [net, 'createConnection'], [tls, 'connect'], [dns, 'lookup'], [dns, 'resolve'], [dns.promises, 'lookup']]) {
  mod[name] = (...args) => refuse(`${mod === dns || mod === dns.promises ? 'dns' : mod === tls ? 'tls' : 'net'}.${name}`, args);
}
