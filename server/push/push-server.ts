import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ADMIN_SUBPROTOCOL, SDK_SUBPROTOCOL } from '@switchyard-flags/sdk/protocol';
import type { Authenticator } from '../auth/auth-middleware.js';
import { CAN } from '../auth/roles.js';
import type { ChangeBus } from '../changes.js';
import { AppError, Forbidden, Unavailable } from '../errors.js';
import type { Logger } from '../log.js';
import { AdminStream } from './admin-stream.js';
import type { PushState } from './push-state.js';
import { SdkStream } from './sdk-stream.js';
import { CLIENT_KEY_REFUSED } from './push-routes.js';
import type { TelemetrySink } from '../telemetry/telemetry-service.js';
import type { TokenClaims } from '../auth/token-revocations.js';
import { StreamRevocations, type KeyStreams } from './stream-revocations.js';
import { credential, originAllowed, reject } from './upgrade-request.js';
import type { StreamBudget } from './stream-budget.js';

/** Frames larger than this close the connection with 1009 (clients only send small JSON). */
export const MAX_PAYLOAD = 64 * 1024;

export interface PushServerDeps {
  config: { allowedOrigins: string[]; publicUrl?: string; heartbeatMs: number; maxBufferedBytes: number; ackTimeoutMs: number; maxPendingUpgrades?: number };
  /** Long-lived connections' budget, shared with the OFREP event streams (server/push/stream-budget.ts). */
  budget: StreamBudget;
  /** Told each time an SDK is closed as unresponsive, and each time an upgrade is refused at MAX_PENDING_UPGRADES. */
  onUnresponsive?: () => void;
  onUpgradeRefused?: () => void;
  /**
   * A counter that moves when another process may have committed a revocation (SQLite's
   * data_version; PostgreSQL's revocation poll): checked every 250 ms, so a token or SDK key
   * revoked by the CLI or another replica closes its streams at once, not at the next heartbeat.
   */
  revocationsMoved?: () => number;
  /** Whether an SDK key is still live (not revoked), for the recheck above. */
  isKeyLive?: (keyId: string) => Promise<boolean>;
  /** Also recheck the connected SDK keys this often (PostgreSQL, where nothing tells of another process's commit); unset: on `revocationsMoved` and every heartbeat. */
  keyRecheckMs?: number;
  /** Other streams held by SDK keys (OFREP's event streams), rechecked alike. */
  otherKeyStreams?: KeyStreams;
  authenticator: Authenticator;
  push: PushState;
  bus: ChangeBus;
  log: Logger;
  /** Told how long each change took to write to every SDK socket. */
  onFanout?: (seconds: number) => void;
  /** Receives the evaluation counts SDKs report over /sdk/stream. */
  telemetry?: TelemetrySink;
  /** Whether a user token has been revoked since it opened its stream. */
  isRevoked: (claims: TokenClaims) => Promise<boolean>;
}

export interface PushServer {
  sdk: SdkStream;
  admin: AdminStream;
  /**
   * Closes every stream (terminating stragglers) and stops the heartbeat: with 1001 (going away),
   * or 1012 (service restart) when draining, which tells an SDK to reconnect elsewhere at once.
   */
  close(code?: 1001 | 1012): Promise<void>;
  /**
   * SIGTERM's drain: closes every stream with 1012 (an SDK moves to another replica at once) but
   * keeps taking new ones, so an SDK with nowhere else to go reconnects here and is still pushed
   * the safety actions this server takes while it drains.
   */
  moveAll(): void;
}

/**
 * Attaches the two websocket endpoints to the HTTP server: `/sdk/stream` (SDK keys) and
 * `/api/stream` (user JWTs, any reader role). Authentication happens during the upgrade,
 * so a bad credential is an HTTP 401 before any socket exists.
 */
export function attachPushServer(server: http.Server, deps: PushServerDeps): PushServer {
  const { config, push, log } = deps;
  // The admin UI at PUBLIC_URL is this server's own origin, whatever Host a proxy forwards.
  const ownOrigins = config.publicUrl ? [...config.allowedOrigins, new URL(config.publicUrl).origin] : config.allowedOrigins;
  const sdk = new SdkStream({
    push,
    log,
    heartbeatMs: config.heartbeatMs,
    maxBufferedBytes: config.maxBufferedBytes,
    budget: deps.budget,
    ackTimeoutMs: config.ackTimeoutMs,
    onUnresponsive: deps.onUnresponsive,
    onFanout: deps.onFanout,
    telemetry: deps.telemetry,
  });
  const admin = new AdminStream({ feed: push.feed, tracker: push.tracker, bus: deps.bus, log, maxBufferedBytes: config.maxBufferedBytes, budget: deps.budget, environments: push });
  const common = { noServer: true, maxPayload: MAX_PAYLOAD, perMessageDeflate: false, clientTracking: false } as const;
  const sdkWss = new WebSocketServer({ ...common, handleProtocols: (p) => (p.has(SDK_SUBPROTOCOL) ? SDK_SUBPROTOCOL : false) });
  const adminWss = new WebSocketServer({ ...common, handleProtocols: (p) => (p.has(ADMIN_SUBPROTOCOL) ? ADMIN_SUBPROTOCOL : false) });

  // Upgrades being authenticated right now: each holds a socket and a lookup, so a flood of
  // them is refused (503 + Retry-After) before any credential is checked.
  let pending = 0;
  const maxPending = config.maxPendingUpgrades ?? 256;

  async function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (pending >= maxPending) {
      deps.onUpgradeRefused?.();
      socket.on('error', () => socket.destroy());
      reject(socket, new Unavailable(`too many websocket upgrades are being authenticated (MAX_PENDING_UPGRADES ${maxPending}); retry shortly`, 1));
      return;
    }
    pending++;
    try {
      await authenticateUpgrade(req, socket, head);
    } finally {
      pending--;
    }
  }

  async function authenticateUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const onError = () => socket.destroy();
    socket.on('error', onError);
    // An unparseable request target (e.g. `////:/x`) must be a 404, not an unhandled rejection that takes the process down.
    const path = URL.canParse(req.url ?? '/', 'http://localhost') ? new URL(req.url ?? '/', 'http://localhost').pathname : '(unparseable)';
    try {
      if (path !== '/sdk/stream' && path !== '/api/stream') throw new AppError(404, 'not_found', `no websocket endpoint at ${path}`);
      if (!originAllowed(req, ownOrigins)) throw new Forbidden(`origin ${req.headers.origin} is not allowed (ALLOWED_ORIGINS)`);
      const isSdk = path === '/sdk/stream';
      const address = deps.authenticator.addressOf(req);
      const given = credential(req, isSdk ? 'sdk-key.' : 'bearer.');
      // The admin UI signed in with the identity provider opens its stream with the session cookie.
      const session = !isSdk && given === undefined && deps.authenticator.session?.has(req) ? deps.authenticator.session : undefined;
      const principal = session ? await session.principal(req, 'stream') : await deps.authenticator.authenticate(given, address);
      if (isSdk && principal.kind !== 'sdk') throw new Forbidden('the SDK stream takes an SDK key (sy_sdk_...), not a user token');
      if (principal.kind === 'sdk' && principal.keyKind === 'client') throw new Forbidden(CLIENT_KEY_REFUSED);
      if (!isSdk && (principal.kind !== 'user' || !(CAN.read as readonly string[]).includes(principal.role))) {
        throw new Forbidden('the admin stream takes a user token with a reader role');
      }
      if (socket.destroyed) throw new AppError(499, 'gone', 'client went away');
      // An upgrade still authenticating when close() began must not become a socket close() never sees.
      if (closing) throw new Unavailable('the server is shutting down; reconnect to another', 1);
      // An SDK key is served its own environment's state, and nothing a request says can choose another.
      if (principal.kind === 'sdk') await push.env(principal.environment).start();
      if (socket.destroyed) throw new AppError(499, 'gone', 'client went away');
      socket.off('error', onError);
      const wss = isSdk ? sdkWss : adminWss;
      wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        if (principal.kind === 'sdk') sdk.accept(ws, principal.keyId, address, principal.environment);
        else if (principal.kind === 'user') {
          admin.accept(ws, principal.role, principal.sub, address);
          revocations.watch(ws, principal);
        }
      });
    } catch (err) {
      if (socket.destroyed) return;
      if (err instanceof AppError) reject(socket, err);
      else {
        log.error({ err }, 'push: upgrade failed');
        reject(socket, new AppError(500, 'internal', 'internal error'));
      }
    }
  }

  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void upgrade(req, socket, head);
  server.on('upgrade', onUpgrade);

  const revocations = new StreamRevocations({
    bus: deps.bus,
    log,
    isRevoked: deps.isRevoked,
    isKeyLive: deps.isKeyLive,
    moved: deps.revocationsMoved,
    keyRecheckMs: deps.keyRecheckMs,
    keyStreams: [sdk, ...(deps.otherKeyStreams ? [deps.otherKeyStreams] : [])],
  });
  const timer = setInterval(() => {
    sdk.tick();
    admin.tick();
    revocations.recheck(); // also catches what the CLI or another replica revoked, should nothing else have
  }, config.heartbeatMs);
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    sdk,
    admin,
    moveAll() {
      for (const ws of [...sdk.sockets(), ...admin.sockets()]) {
        if (ws.readyState === ws.OPEN) ws.close(1012, 'server draining: reconnect to another replica');
      }
    },
    close(code: 1001 | 1012 = 1001) {
      closing ??= (async () => {
        clearInterval(timer);
        revocations.close();
        server.off('upgrade', onUpgrade);
        sdk.close();
        admin.close();
        push.close();
        const sockets = [...sdk.sockets(), ...admin.sockets()];
        await Promise.all(
          sockets.map(
            (ws) =>
              new Promise<void>((resolve) => {
                if (ws.readyState === ws.CLOSED) return resolve();
                const t = setTimeout(() => ws.terminate(), 1000);
                ws.once('close', () => {
                  clearTimeout(t);
                  resolve();
                });
                ws.close(code, code === 1012 ? 'server draining: reconnect to another replica' : 'server shutting down');
              }),
          ),
        );
      })();
      return closing;
    },
  };
}
