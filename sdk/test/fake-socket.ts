import type { WebSocketConstructor, WebSocketLike } from '../src/client-types.js';

/** A socket the test drives by hand: it records how it was built and what was sent on it. */
export interface FakeSocket extends WebSocketLike {
  url: string;
  protocols: string[];
  options?: { headers?: Record<string, string>; maxPayload?: number };
  sent: string[];
  /** The messages sent, parsed. */
  sentJson(): any[];
  terminated: boolean;
  /** The server accepts: readyState 1, onopen. */
  accept(): void;
  /** The server sends a message (an object is sent as JSON). */
  deliver(m: unknown): void;
  /** The socket closes with `code` (after an error event carrying `error`, if given). */
  fail(code?: number, error?: string): void;
}

/** A WebSocket class whose instances are FakeSockets, and the list of them in creation order. */
export function fakeSockets(): { WebSocket: WebSocketConstructor; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  class Socket implements FakeSocket {
    readyState = 0;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;
    sent: string[] = [];
    terminated = false;
    constructor(
      public url: string,
      public protocols: string[],
      public options?: { headers?: Record<string, string>; maxPayload?: number },
    ) {
      sockets.push(this);
    }
    send(data: string): void {
      this.sent.push(data);
    }
    close(): void {
      this.readyState = 3;
    }
    terminate(): void {
      this.terminated = true;
      this.readyState = 3;
    }
    sentJson(): any[] {
      return this.sent.map((s) => JSON.parse(s));
    }
    accept(): void {
      this.readyState = 1;
      this.onopen?.({});
    }
    deliver(m: unknown): void {
      this.onmessage?.({ data: typeof m === 'string' ? m : JSON.stringify(m) });
    }
    fail(code = 1006, error?: string): void {
      if (error !== undefined) this.onerror?.({ message: error });
      this.readyState = 3;
      this.onclose?.({ code });
    }
  }
  return { WebSocket: Socket as unknown as WebSocketConstructor, sockets };
}
