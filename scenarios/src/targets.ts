// The lab only ever sends load to this machine (loopback) or to the compose stack's own
// services; anything else needs an explicit --allow-remote.
import { EngineError } from './errors.js';

export const COMPOSE_SERVICES = ['api', 'downstream', 'prometheus', 'grafana', 'lab'] as const;

export function isAllowedHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  if (/^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  return (COMPOSE_SERVICES as readonly string[]).includes(host);
}

/** Throws unless `url` is a loopback address or a compose service name, or remote targets are allowed. */
export function assertTargetAllowed(url: string, what: string, allowRemote: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EngineError('LAB_USAGE', `${what} ${JSON.stringify(url)} is not a URL; allowed: e.g. http://127.0.0.1:8080`);
  }
  if (parsed.protocol !== 'http:') {
    throw new EngineError('LAB_USAGE', `${what} ${url} uses ${parsed.protocol}; allowed: http:`);
  }
  if (!allowRemote && !isAllowedHost(parsed.hostname)) {
    throw new EngineError(
      'LAB_TARGET_NOT_ALLOWED',
      `${what} ${url} is not on this machine; allowed: loopback (127.0.0.0/8, ::1, localhost) or a compose service (${COMPOSE_SERVICES.join(', ')}), or pass --allow-remote`,
    );
  }
  return parsed;
}
