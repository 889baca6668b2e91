// The open-loop sender's requests, serialized once before the schedule starts: each variant
// (path and query, headers, body) becomes the text of an HTTP/1.1 request up to the value of
// X-Request-Start, the one field that changes per request (the actual send time, epoch ms).
// Writing a request is then one string concatenation and one socket write.
import type { OpenLoopConfig, VariantConfig } from './open-loop-protocol.js';
import { seededRandom } from './seeded-random.js';

export interface SerializedRequest {
  /** Request line and headers, ending with "X-Request-Start: ". */
  head: string;
  /** The body (UTF-8 text), or "". */
  body: string;
  /** A HEAD request: its response has no body. */
  headOnly: boolean;
}

/** The bytes of one request sent at `sentMs` (epoch ms). */
export function requestText(request: SerializedRequest, sentMs: number): string {
  return `${request.head}${Math.round(sentMs)}\r\n\r\n${request.body}`;
}

/** The variants a stream sends: `variants`, else one per body of `bodies`, else the one request of `url`, `headers` and `body`. */
export function variantsOf(config: OpenLoopConfig): VariantConfig[] {
  if (config.variants && config.bodies) throw new Error('open-loop config: "variants" and "bodies" are exclusive');
  if (config.variants) return config.variants.values;
  if (config.bodies) return config.bodies.values.map((body) => ({ body }));
  return [{}];
}

/** Serializes `variant` over the stream's defaults (`url`'s path and query, `headers`, `body`). */
export function serializeRequest(config: OpenLoopConfig, variant: VariantConfig): SerializedRequest {
  const url = new URL(config.url);
  const path = variant.path ?? `${url.pathname}${url.search}`;
  const body = variant.body ?? config.body;
  const headers = new Map<string, [string, string]>();
  const put = (name: string, value: string): void => {
    headers.set(name.toLowerCase(), [name, value]);
  };
  put('Host', url.host);
  for (const [name, value] of Object.entries(config.headers ?? {})) put(name, value);
  for (const [name, value] of Object.entries(variant.headers ?? {})) put(name, value);
  if (config.connection === 'new') put('Connection', 'close');
  if (body !== undefined) {
    if (!headers.has('content-type')) put('Content-Type', 'application/json');
    put('Content-Length', String(Buffer.byteLength(body)));
  }
  let head = `${config.method} ${path} HTTP/1.1\r\n`;
  for (const [name, value] of headers.values()) head += `${name}: ${value}\r\n`;
  return { head: `${head}X-Request-Start: `, body: body ?? '', headOnly: config.method === 'HEAD' };
}

/**
 * The request for each send, in send order: variants taken in turn (`rotate`: request k gets
 * variant k mod n) or drawn with a generator seeded with `seed` (`sample`).
 */
export function requestPicker(config: OpenLoopConfig): () => SerializedRequest {
  const requests = variantsOf(config).map((variant) => serializeRequest(config, variant));
  const list = config.variants ?? config.bodies;
  const random = seededRandom(list?.seed ?? 1);
  let sent = 0;
  return () => {
    const k = sent;
    sent += 1;
    const index = list?.pick === 'sample' ? Math.floor(random() * requests.length) : k % requests.length;
    return requests[index] as SerializedRequest;
  };
}
