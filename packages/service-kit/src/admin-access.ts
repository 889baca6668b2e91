// Who may use an /admin* route: with LAB_ADMIN_TOKEN set, whoever presents it as a bearer
// token; without, only loopback clients. Shared by both services.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export interface AccessProblem {
  statusCode: 401 | 403;
  code: 'LAB_UNAUTHORIZED' | 'LAB_FORBIDDEN';
  message: string;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

// Comparing digests keeps the comparison constant-time even when the lengths differ.
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function presentedToken(request: FastifyRequest, allowQueryToken: boolean): string | undefined {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match?.[1]) return match[1];
  }
  // Only for a page a browser navigates to: a navigation cannot send an Authorization header.
  if (allowQueryToken) {
    const query = request.query as Record<string, unknown> | undefined;
    if (typeof query?.token === 'string' && query.token !== '') return query.token;
  }
  return undefined;
}

/** Undefined when the request may use the admin surface, otherwise what to answer. */
export function adminAccessProblem(
  request: FastifyRequest,
  adminToken: string | undefined,
  allowQueryToken = false,
): AccessProblem | undefined {
  if (adminToken) {
    const token = presentedToken(request, allowQueryToken);
    if (token === undefined) {
      return { statusCode: 401, code: 'LAB_UNAUTHORIZED', message: 'admin API requires "Authorization: Bearer <LAB_ADMIN_TOKEN>"' };
    }
    if (!sameSecret(token, adminToken))
      return { statusCode: 401, code: 'LAB_UNAUTHORIZED', message: 'admin token does not match LAB_ADMIN_TOKEN' };
    return undefined;
  }
  const address = request.socket.remoteAddress;
  if (isLoopback(address)) return undefined;
  return {
    statusCode: 403,
    code: 'LAB_FORBIDDEN',
    message: `admin API is loopback-only while LAB_ADMIN_TOKEN is unset (request came from ${address ?? 'an unknown address'}); set LAB_ADMIN_TOKEN to allow remote use with a bearer token`,
  };
}
