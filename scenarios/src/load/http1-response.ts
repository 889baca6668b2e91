// A minimal HTTP/1.1 response reader for the open-loop sender (open-loop-client.ts): it finds
// where each response ends and what the server said about the connection, and nothing else
// (no header values are kept, the body is skipped). Node's own client costs ~90-100 µs of CPU
// per request on the lab's 2-core machine, too much to keep a 10 000 req/s schedule; this
// reader plus pre-serialized requests on node:net sockets costs a fraction of that (the figures
// are in docs/measurement.md, "Open-loop sender capacity").
//
// What it handles (RFC 9112 section 6): Content-Length bodies, chunked bodies (extensions and
// trailers skipped), bodies delimited by the connection's close, responses without a body (to
// HEAD, 204, 304), interim 1xx responses (skipped), HTTP/1.0 and `Connection: close`. Bytes may
// arrive split anywhere, a byte at a time or several responses' worth at once.

/** The head of a response this reader will hold before calling it malformed. */
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 4096;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

/** A response the reader cannot take: the connection is unusable after it. */
export class ResponseProtocolError extends Error {
  readonly code = 'LAB_HTTP1_PROTOCOL';
}

export interface ResponseEnd {
  status: number;
  /** The server keeps the connection open for another request. */
  keepAlive: boolean;
}

type State =
  | { kind: 'idle' }
  | { kind: 'head'; headOnly: boolean }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-crlf' }
  | { kind: 'trailers' }
  | { kind: 'until-close' };

/**
 * Reads the responses of one connection, one request at a time: call `expect()` when a request
 * is written, `feed()` with every chunk read, `end()` when the server closes its side.
 * `onResponse` is called once per complete (final) response.
 */
export class ResponseReader {
  private state: State = { kind: 'idle' };
  /** Bytes of an unfinished head or chunk-size/trailer line. */
  private partial: Buffer | undefined;
  private status = 0;
  private keepAlive = true;

  constructor(private readonly onResponse: (end: ResponseEnd) => void) {}

  /** A request was written; `headOnly`: its response has no body (a HEAD request). */
  expect(headOnly: boolean): void {
    if (this.state.kind !== 'idle') throw new ResponseProtocolError('a request was written before the previous response ended');
    this.state = { kind: 'head', headOnly };
  }

  /** True while a response is awaited or being read. */
  get busy(): boolean {
    return this.state.kind !== 'idle';
  }

  /** Throws ResponseProtocolError on bytes that are not a well-formed response to the request written. */
  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const state = this.state;
      switch (state.kind) {
        case 'idle':
          throw new ResponseProtocolError(`${chunk.length - at} bytes arrived with no request outstanding`);
        case 'head':
          at = this.readHead(chunk, at, state.headOnly);
          break;
        case 'length': {
          const take = Math.min(state.left, chunk.length - at);
          at += take;
          state.left -= take;
          if (state.left === 0) this.complete();
          break;
        }
        case 'chunk-size':
        case 'trailers':
          at = this.readLine(chunk, at);
          break;
        case 'chunk-data': {
          const take = Math.min(state.left, chunk.length - at);
          at += take;
          state.left -= take;
          if (state.left === 0) this.state = { kind: 'chunk-crlf' };
          break;
        }
        case 'chunk-crlf':
          at = this.readLine(chunk, at);
          break;
        case 'until-close':
          at = chunk.length;
          break;
      }
    }
  }

  /** The server closed its side: completes a body delimited by the close; throws if a response was cut short. */
  end(): void {
    if (this.state.kind === 'until-close') {
      this.complete();
      return;
    }
    if (this.state.kind !== 'idle')
      throw new ResponseProtocolError(`the connection closed in the middle of a response (${this.state.kind})`);
  }

  private readHead(chunk: Buffer, at: number, headOnly: boolean): number {
    const held = this.partial?.length ?? 0;
    const bytes = held > 0 ? Buffer.concat([this.partial as Buffer, chunk.subarray(at)]) : chunk.subarray(at);
    // Search from just before the new bytes, in case the blank line straddles two chunks.
    const found = bytes.indexOf(CRLF_CRLF, Math.max(0, held - 3));
    if (found < 0) {
      if (bytes.length > MAX_HEAD_BYTES) throw new ResponseProtocolError(`a response head over ${MAX_HEAD_BYTES} bytes`);
      this.partial = Buffer.from(bytes);
      return chunk.length;
    }
    this.partial = undefined;
    const consumed = found + 4 - held;
    this.startBody(bytes.toString('latin1', 0, found), headOnly);
    return at + consumed;
  }

  private startBody(head: string, headOnly: boolean): void {
    const lines = head.split('\r\n');
    const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (!statusLine) throw new ResponseProtocolError(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    const status = Number(statusLine[2]);
    let contentLength: number | undefined;
    let chunked = false;
    let close = statusLine[1] === '0';
    for (let i = 1; i < lines.length; i += 1) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ResponseProtocolError(`a malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line
        .slice(colon + 1)
        .trim()
        .toLowerCase();
      if (name === 'content-length') {
        if (!/^\d{1,15}$/.test(value)) throw new ResponseProtocolError(`Content-Length ${JSON.stringify(value)} is not a number`);
        const length = Number(value);
        if (contentLength !== undefined && contentLength !== length)
          throw new ResponseProtocolError('two different Content-Length headers');
        contentLength = length;
      } else if (name === 'transfer-encoding') {
        chunked = value.split(',').at(-1)?.trim() === 'chunked';
      } else if (name === 'connection') {
        const tokens = value.split(',').map((t) => t.trim());
        if (tokens.includes('close')) close = true;
        else if (tokens.includes('keep-alive')) close = false;
      }
    }
    if (status === 101) throw new ResponseProtocolError('the server switched protocols (101), which this sender never asks for');
    if (status < 200) {
      // An interim response (100 Continue, 103 Early Hints): the final one follows.
      this.state = { kind: 'head', headOnly };
      return;
    }
    this.status = status;
    this.keepAlive = !close;
    if (headOnly || status === 204 || status === 304) this.complete();
    else if (chunked) this.state = { kind: 'chunk-size' };
    else if (contentLength !== undefined) {
      if (contentLength === 0) this.complete();
      else this.state = { kind: 'length', left: contentLength };
    } else {
      this.keepAlive = false;
      this.state = { kind: 'until-close' };
    }
  }

  /** One CRLF-terminated line of the chunked framing (a size line, the CRLF after data, a trailer). */
  private readLine(chunk: Buffer, at: number): number {
    const lf = chunk.indexOf(10, at);
    if (lf < 0) {
      this.partial = this.partial ? Buffer.concat([this.partial, chunk.subarray(at)]) : Buffer.from(chunk.subarray(at));
      if (this.partial.length > MAX_CHUNK_LINE_BYTES)
        throw new ResponseProtocolError(`a chunk-size or trailer line over ${MAX_CHUNK_LINE_BYTES} bytes`);
      return chunk.length;
    }
    const piece = chunk.subarray(at, lf + 1);
    const whole = this.partial ? Buffer.concat([this.partial, piece]) : piece;
    this.partial = undefined;
    if (whole.length < 2 || whole[whole.length - 2] !== 13) throw new ResponseProtocolError('a chunked-body line not ended by CRLF');
    this.line(whole.toString('latin1', 0, whole.length - 2));
    return lf + 1;
  }

  private line(text: string): void {
    const kind = this.state.kind;
    if (kind === 'chunk-crlf') {
      if (text !== '') throw new ResponseProtocolError('chunk data longer than its size');
      this.state = { kind: 'chunk-size' };
    } else if (kind === 'chunk-size') {
      const size = /^([0-9a-fA-F]{1,12})[ \t]*(?:;.*)?$/.exec(text);
      if (!size) throw new ResponseProtocolError(`a malformed chunk size: ${JSON.stringify(text.slice(0, 40))}`);
      const left = Number.parseInt(size[1] as string, 16);
      this.state = left === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left };
    } else if (text === '') this.complete(); // the blank line after the trailers (if any)
  }

  private complete(): void {
    this.state = { kind: 'idle' };
    this.onResponse({ status: this.status, keepAlive: this.keepAlive });
  }
}
