// The services' logger: pino as Fastify configures it, with credentials kept out of every line
// at every level. Fastify's request serializer logs the raw URL (so `/admin?token=…`, the
// control page's documented way in, would be written out), its 404 handler puts the URL into
// the message and the reply, and an error's message or stack may quote what a client sent.
// So: the request serializer logs a redacted URL and no headers, error objects are serialized
// with redacted text, every string argument passes through the same redaction, and header
// paths that could carry a bearer token are censored if anything ever logs them.
import { REDACTED, redactText } from '@runtime-lab/values';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';

interface LoggedError {
  [key: string]: unknown;
  type: string;
  message: string;
  stack: string;
}

/**
 * Fastify `logger` options for a lab service. `secrets` are strings known to be credentials
 * (the admin token): redacted wherever they appear, in addition to credential query
 * parameters, URL user-info and bearer values (see @runtime-lab/values redactText).
 */
export function serviceLoggerOptions(level: string, secrets: readonly (string | undefined)[]): NonNullable<FastifyServerOptions['logger']> {
  const clean = (text: string) => redactText(text, secrets);
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        'request.headers.authorization',
      ],
      censor: REDACTED,
    },
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: clean(request.url),
        host: request.host,
        remoteAddress: request.ip,
        remotePort: request.socket?.remotePort,
      }),
      err: (error: Error & { code?: unknown; statusCode?: unknown }): LoggedError => ({
        type: error.constructor?.name ?? 'Error',
        message: clean(String(error.message)),
        stack: clean(error.stack ?? ''),
        ...(error.code !== undefined ? { code: error.code } : {}),
        ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
      }),
    },
    hooks: {
      logMethod(args: unknown[], method: (...args: unknown[]) => void) {
        method.apply(
          this,
          args.map((arg) => (typeof arg === 'string' ? clean(arg) : arg)),
        );
      },
    },
  };
}

/** A 404 that names the route without echoing a credential from the query string. */
export function setRedactedNotFound(app: FastifyInstance, secrets: readonly (string | undefined)[]): void {
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const url = redactText(request.url, secrets);
    request.log.info(`Route ${request.method}:${url} not found`);
    void reply.status(404).send({ error: 'Not Found', message: `Route ${request.method}:${url} not found`, statusCode: 404 });
  });
}
