import WebSocket from 'ws';

/**
 * `n` raw SDK connections on one SDK key that say hello and acknowledge every snapshot and change,
 * as a real SDK does (one that does not is closed after ACK_TIMEOUT_MS). The caller closes them.
 */
export async function ackingSdks(url, key, n = 20) {
  const peers = [];
  for (let i = 0; i < n; i++) {
    const ws = new WebSocket(url.replace('http', 'ws') + '/sdk/stream', { headers: { authorization: `Bearer ${key}` } });
    await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
    ws.send(JSON.stringify({ type: 'hello', protocol: 1, version: 0, sdk: 'bench/1' }));
    ws.on('message', (d) => {
      const m = JSON.parse(String(d));
      if (m.type === 'snapshot' || m.type === 'changes') ws.send(JSON.stringify({ type: 'ack', version: m.version }));
    });
    peers.push(ws);
  }
  return peers;
}
