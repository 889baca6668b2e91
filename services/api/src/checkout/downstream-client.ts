// One HTTP call to the downstream service. node:http with a keep-alive agent rather than
// fetch: cheaper per call on the loop, and an abort closes the socket, which is exactly what
// a naive downstream does not notice and a deadline-aware one does.
import { Agent, request } from 'node:http';
import { DEADLINE_HEADER } from '@runtime-lab/service-kit';

export interface DownstreamCall {
  signal: AbortSignal;
  /** Remaining budget sent to downstream (deadline propagation); omitted when undefined. */
  deadlineMs?: number | undefined;
  authorization?: string | undefined;
}

export function newDownstreamAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 512 });
}

/** Resolves with the HTTP status once the body is read; rejects on network error or abort. */
export function callDownstream(agent: Agent, url: URL, call: DownstreamCall): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (call.deadlineMs !== undefined) headers[DEADLINE_HEADER] = String(Math.max(0, Math.floor(call.deadlineMs)));
    if (call.authorization) headers.authorization = call.authorization;
    const req = request(url, { agent, method: 'GET', headers, signal: call.signal }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends the downstream its settings for queue amplification (or, with undefined, its defaults). */
export async function configureDownstream(
  baseUrl: string,
  settings: { latencyMs: number; concurrency: number } | undefined,
  adminToken: string | undefined,
): Promise<void> {
  const headers: Record<string, string> = {};
  if (adminToken) headers.authorization = `Bearer ${adminToken}`;
  if (settings) headers['content-type'] = 'application/json';
  const response = await fetch(new URL('/admin/config', baseUrl), {
    method: settings ? 'PUT' : 'DELETE',
    headers,
    body: settings ? JSON.stringify(settings) : undefined,
    signal: AbortSignal.timeout(2000),
  });
  if (!response.ok) throw new Error(`downstream ${baseUrl} answered ${response.status}: ${await response.text()}`);
}
