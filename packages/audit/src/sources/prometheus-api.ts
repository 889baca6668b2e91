// One call to Prometheus's HTTP API (/api/v1/...), with the auditor's error mapping: unreachable
// or not a Prometheus is a connection error, a refused query a usage error (the selector is the
// user's). Used by the range queries of the --prometheus source and by the alert timeline.

import { AuditError } from '../errors.js';
import { explainBadPort } from './metrics.js';

interface ApiResponse<T> {
  status?: string;
  error?: string;
  data?: T;
}

/**
 * Calls `path` under the base URL `base` and returns the answer's `data`. Queries are POSTed (a
 * long PromQL expression fits no URL); the status and rules endpoints only answer GET.
 */
export async function callPrometheus<T>(
  base: string,
  path: string,
  params: Record<string, string>,
  timeoutMs = 15_000,
  method: 'GET' | 'POST' = 'POST',
): Promise<T> {
  const query = new URLSearchParams(params);
  const url = `${base.replace(/\/+$/, '')}${path}`;
  let response: Response;
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    response = await (method === 'POST'
      ? fetch(url, { method, body: query, signal })
      : fetch(`${url}${query.size > 0 ? `?${query}` : ''}`, { signal }));
  } catch (error) {
    const err = error as Error;
    const cause = (err.cause as Error | undefined)?.message ?? err.message;
    throw new AuditError('LAB_AUDIT_CONNECTION', explainBadPort(`cannot reach Prometheus at ${base}: ${cause}`));
  }
  let parsed: ApiResponse<T> | undefined;
  try {
    parsed = (await response.json()) as ApiResponse<T>;
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || parsed.status === undefined) {
    throw new AuditError('LAB_AUDIT_CONNECTION', `${base} is not a Prometheus API (HTTP ${response.status} from ${url})`);
  }
  if (parsed.status !== 'success') {
    const code = response.status === 400 || response.status === 422 ? 'LAB_AUDIT_USAGE' : 'LAB_AUDIT_CONNECTION';
    throw new AuditError(
      code,
      `Prometheus rejected a query (HTTP ${response.status}): ${parsed.error ?? 'no reason given'}; check --selector`,
    );
  }
  return parsed.data as T;
}
