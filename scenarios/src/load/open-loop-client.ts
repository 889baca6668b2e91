// The open-loop sender's HTTP/1.1 client: pre-serialized requests written on node:net sockets,
// responses read by http1-response.ts. One request per connection at a time (never pipelined:
// a request queued behind another on one connection would wait for the client, not for the
// service), so when more requests are in flight than connections are open, a new connection is
// made. Idle keep-alive connections are reused in FIFO order (the one idle longest first), so each
// pre-opened connection is used in turn and stays within the server's keep-alive timeout.
//
// Outcomes: a final response with status 200-399 is `ok`, any other status, a refused or reset
// connection or a malformed response is `error`, and no complete response within the deadline
// (armed when the request is written) is `timeout`, after which the connection is destroyed.
import net from 'node:net';
import { armDeadline } from './deadline.js';
import { ResponseReader } from './http1-response.js';
import { OUTCOME_ERROR, OUTCOME_OK, OUTCOME_TIMEOUT } from './open-loop-protocol.js';

export interface OpenLoopClientOptions {
  host: string;
  port: number;
  /** Per request, from the moment it is written (ms). */
  timeoutMs: number;
  /** `new`: one connection per request, closed after its answer (the request must say `Connection: close`). */
  connection: 'keep-alive' | 'new';
  /** The clock send times are read on (epoch ms). */
  now: () => number;
}

/** Called once per request with OUTCOME_OK, OUTCOME_ERROR or OUTCOME_TIMEOUT. */
export type OnOutcome = (outcome: number) => void;

class Connection {
  readonly socket: net.Socket;
  readonly reader: ResponseReader;
  /** The request awaiting its response, if any. */
  current: ((outcome: number) => void) | undefined;
  closed = false;

  constructor(
    host: string,
    port: number,
    private readonly release: (connection: Connection, keepAlive: boolean) => void,
  ) {
    this.reader = new ResponseReader(({ status, keepAlive }) => {
      const settle = this.current;
      this.current = undefined;
      settle?.(status >= 200 && status < 400 ? OUTCOME_OK : OUTCOME_ERROR);
      this.release(this, keepAlive);
    });
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.guard(() => this.reader.feed(chunk)));
    // The server closed its side: a body delimited by the close ends here; the connection is done.
    this.socket.on('end', () => {
      this.guard(() => this.reader.end());
      this.destroy();
    });
    this.socket.on('error', () => this.destroy());
    this.socket.on('close', () => this.destroy());
  }

  write(request: string, headOnly: boolean, settle: (outcome: number) => void): void {
    this.current = settle;
    this.reader.expect(headOnly);
    this.socket.write(request);
  }

  /** Ends the connection; a request still awaiting its answer gets `error`. */
  destroy(): void {
    if (!this.closed) {
      this.closed = true;
      this.socket.destroy();
    }
    const settle = this.current;
    this.current = undefined;
    settle?.(OUTCOME_ERROR);
  }

  private guard(read: () => void): void {
    try {
      read();
    } catch {
      // A malformed or cut-short response: the connection cannot be trusted for another request.
      this.destroy();
    }
  }
}

export class OpenLoopClient {
  /** Idle keep-alive connections, the one idle longest first; closed ones are skipped when reached. */
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  /** Connections opened so far (warm-up included). */
  connectionsOpened = 0;

  constructor(private readonly options: OpenLoopClientOptions) {}

  /**
   * Writes `request` (complete bytes of one HTTP/1.1 request; `headOnly` for HEAD) and calls
   * `onOutcome` once when it is settled. The deadline runs from `sentMs` (epoch ms on `now`).
   */
  send(request: string, headOnly: boolean, sentMs: number, onOutcome: OnOutcome): void {
    const connection = this.acquire();
    let deadline: { clear(): void } | undefined;
    let settled = false;
    const settle = (outcome: number): void => {
      if (settled) return;
      settled = true;
      deadline?.clear();
      onOutcome(outcome);
    };
    connection.write(request, headOnly, settle);
    if (settled) return; // a connection that failed at once
    deadline = armDeadline(sentMs, this.options.timeoutMs, this.options.now, () => {
      if (connection.current === settle) connection.current = undefined;
      settle(OUTCOME_TIMEOUT);
      connection.destroy();
    });
  }

  /**
   * Opens `count` connections at once, each answering one `request` (a cheap GET) within
   * `timeoutMs`, and keeps them idle for the schedule. Returns how many are open and idle.
   */
  async warmUp(request: string, count: number, timeoutMs: number): Promise<number> {
    if (this.options.connection === 'new') return 0;
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const connection = this.connect();
        const timer = setTimeout(() => connection.destroy(), timeoutMs);
        connection.write(request, false, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    await Promise.all(Array.from({ length: count }, one));
    return this.idleCount();
  }

  /** Idle keep-alive connections still open. */
  idleCount(): number {
    return this.idle.filter((c) => !c.closed).length;
  }

  /** Connections opened so far that are still open (idle or busy). */
  openCount(): number {
    return this.open.size;
  }

  /** Closes every connection; requests in flight get `error`. */
  close(): void {
    for (const connection of [...this.open]) connection.destroy();
    this.idle.length = 0;
  }

  private acquire(): Connection {
    if (this.options.connection === 'keep-alive') {
      for (let connection = this.idle.shift(); connection; connection = this.idle.shift()) {
        if (!connection.closed) return connection;
      }
    }
    return this.connect();
  }

  private connect(): Connection {
    const connection = new Connection(this.options.host, this.options.port, (c, keepAlive) => {
      if (keepAlive && !c.closed && this.options.connection === 'keep-alive') this.idle.push(c);
      else c.destroy();
    });
    this.open.add(connection);
    this.connectionsOpened += 1;
    connection.socket.once('close', () => this.open.delete(connection));
    return connection;
  }
}
