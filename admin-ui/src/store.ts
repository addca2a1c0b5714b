/**
 * The admin UI's one store, fed by the admin stream. It is the only listener of the stream and
 * of resyncs; pages read from it and re-read from the server through `@lit/task` keyed by its
 * revisions, so one change means one re-read, and a page renders only its latest request.
 *
 * - `flag(key)`: the newest view of a flag the stream carried (shown at once, before a re-read).
 * - `revision(key)`: changes when the flag changed (a stream message about it, debounced, or an
 *   action of ours), and for every flag when the UI resyncs (reconnect, back online, poll tick).
 * - `on(type, fn)`: stream messages by type, for views that fold them in (lists, open dialogs).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { environments } from './environments.js';
import { streamedEnv } from './flag-env.js';
import { onResync, onStream, type StreamMessage } from './stream.js';
import type { FlagView } from './types.js';

type Of<T extends StreamMessage['type']> = Extract<StreamMessage, { type: T }>;

/** How long stream messages about one flag are gathered before its pages re-read (an action sends a flag and an audit message). */
const SETTLE_MS = 150;

const newer = (a: FlagView, b: FlagView) => a.stateVersion > b.stateVersion || (a.stateVersion === b.stateVersion && a.version > b.version);

class Store extends EventTarget {
  /** Bumped on every resync: every page re-reads. */
  private epoch = 0;
  private revs = new Map<string, number>();
  private touches = 0;
  private flags = new Map<string, FlagView>();
  private timers = new Map<string, ReturnType<typeof setTimeout>>();
  private unsubs: Array<() => void> = [];

  start(): void {
    if (this.unsubs.length) return;
    this.unsubs.push(
      onResync(() => this.resync()),
      onStream((m) => this.take(m)),
    );
    void environments.load();
  }

  stop(): void {
    this.unsubs.forEach((u) => u());
    this.unsubs = [];
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
    this.flags.clear();
    environments.clear();
  }

  private take(m: StreamMessage): void {
    if (m.type === 'flag') {
      // Only the default environment's view is shown before a re-read; another's only re-reads.
      const env = streamedEnv(m);
      const seen = this.flags.get(m.flag.key);
      if ((env === null || env === environments.defaultKey) && (!seen || !newer(seen, m.flag))) this.flags.set(m.flag.key, m.flag);
      this.settle(m.flag.key);
    } else if (m.type === 'audit') {
      if (m.entry.flag) this.settle(m.entry.flag);
      if (m.entry.action.startsWith('environment.')) void environments.load();
    }
    this.dispatchEvent(new CustomEvent(m.type, { detail: m }));
  }

  private settle(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => this.touch(key), SETTLE_MS));
  }

  /** Everything may have moved (reconnected, back online, poll tick): every page re-reads. */
  resync(): void {
    this.epoch++;
    this.flags.clear();
    void environments.load();
    this.dispatchEvent(new CustomEvent('change', { detail: null }));
  }

  /** `key` changed (an action of ours finished, or the stream said so): its pages re-read. */
  touch(key: string): void {
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.revs.set(key, (this.revs.get(key) ?? 0) + 1);
    this.touches++;
    this.dispatchEvent(new CustomEvent('change', { detail: key }));
  }

  /** A value that changes whenever `key` (or, without a key, any flag) should be re-read. */
  revision(key?: string): string {
    return key === undefined ? String(this.epoch) : `${this.epoch}.${this.revs.get(key) ?? 0}`;
  }

  /** A value that changes whenever any flag changed or the UI resynced (views of every flag at once). */
  revisionOfAll(): string {
    return `${this.epoch}.${this.touches}`;
  }

  /** The newest view of `key` the stream carried since the last resync, if newer than `than`. */
  flag(key: string, than?: FlagView | null): FlagView | undefined {
    const f = this.flags.get(key);
    return f && (!than || newer(f, than)) ? f : undefined;
  }

  /** Calls `fn` on every resync (reconnect, back online, poll tick); returns the unsubscribe function. */
  onResync(fn: () => void): () => void {
    const l = (e: Event) => (e as CustomEvent<string | null>).detail === null && fn();
    this.addEventListener('change', l);
    return () => this.removeEventListener('change', l);
  }

  /** Stream messages of one type; returns the unsubscribe function. */
  on<T extends StreamMessage['type']>(type: T, fn: (m: Of<T>) => void): () => void {
    const l = (e: Event) => fn((e as CustomEvent<Of<T>>).detail);
    this.addEventListener(type, l);
    return () => this.removeEventListener(type, l);
  }
}

export const store = new Store();

/**
 * Re-renders its host when the store's revisions (of `keys()`, or of any flag) or the
 * environments change, while the host is connected. The host's tasks read `store.revision()`
 * in their args, so the re-render starts the re-read.
 */
export class StoreWatch implements ReactiveController {
  private readonly onChange = (e: Event) => {
    const key = (e as CustomEvent<string | null>).detail;
    const mine = this.keys?.();
    if (key === null || key === undefined || !mine || mine.includes(key)) this.host.requestUpdate();
  };
  private readonly onEnvs = () => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly keys?: () => string[],
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    store.addEventListener('change', this.onChange);
    environments.addEventListener('change', this.onEnvs);
  }

  hostDisconnected(): void {
    store.removeEventListener('change', this.onChange);
    environments.removeEventListener('change', this.onEnvs);
  }
}
