// A small keep-alive HTTP client for measurements: cheap per request, no surprises.
import { Agent, request } from 'node:http';

export const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function send(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers };
    if (options.body !== undefined) {
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      // Node sends a DELETE body without chunked framing unless the length is given.
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = request(
      url,
      {
        agent,
        method: options.method ?? 'GET',
        headers,
        timeout: options.timeoutMs ?? 30_000,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${options.timeoutMs ?? 30_000} ms: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export async function sendJson<T = unknown>(
  url: string,
  method: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<{ status: number; json: T; headers: Response['headers'] }> {
  const response = await send(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, headers: response.headers, json: (response.body ? JSON.parse(response.body) : undefined) as T };
}
