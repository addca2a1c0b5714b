import http from 'node:http';

/**
 * One kill as on-call's curl sends it: a fresh connection (no keep-alive agent), `POST
 * /api/flags/:flag/kill`; resolves with the milliseconds until the whole answer was read.
 */
export function freshKill(url, token, flag) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ reason: 'bench' });
    const t0 = performance.now();
    const req = http.request(`${url}/api/flags/${flag}/kill`, {
      method: 'POST', agent: false,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`kill ${flag}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}
