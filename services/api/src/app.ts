// The api as a Fastify plugin: telemetry, fault state, pools, checkout, routes, admin.
// server.ts only listens and shuts down; tests register this plugin through build().
import telemetry, { type TelemetryOptions } from '@runtime-lab/telemetry';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import adminRoutes from './admin/routes.js';
import { Checkout } from './checkout/checkout.js';
import type { LabContext } from './context.js';
import { ApiError } from './errors.js';
import { Blocker } from './faults/blocking.js';
import { newStopFlag, requestStop, type StopFlag } from './faults/blocking-work.js';
import { registerFaultMetrics } from './faults/metrics.js';
import { InputTriggers } from './faults/trigger.js';
import { FaultState } from './faults/state.js';
import { Pools } from './pool/pools.js';
import apiRoutes from './routes/api.js';

export const DEFAULT_DOWNSTREAM_URL = 'http://127.0.0.1:8081';

export interface ApiOptions {
  /** Default http://127.0.0.1:8081. */
  downstreamUrl?: string;
  /** When set, /admin* requires "Authorization: Bearer <token>"; otherwise loopback only. */
  adminToken?: string | undefined;
  /** Passed to @runtime-lab/telemetry (tests use { watchdog: false } or port 0). */
  telemetry?: TelemetryOptions;
  /** Shared with the stop channel (see server.ts) so a SIGTERM can end fault work while the loop is blocked. */
  stop?: StopFlag;
}

// Fastify's own 4xx (bad JSON, wrong content type, schema) keep their status; the message
// gains what is expected so a learner poking with curl knows what to send.
function explainClientError(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `${error.message}; send Content-Type: application/json`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return `${error.message}; send a JSON object, e.g. {} for the defaults, or no Content-Type and no body`;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `${error.message}; bodies are small JSON objects`;
    default:
      if (error.validation) return `invalid request: ${error.message}`;
      if (error instanceof SyntaxError || /JSON/.test(error.message))
        return `body is not valid JSON (${error.message}); send a JSON object`;
      return error.message;
  }
}

function errorHandler(this: FastifyInstance, error: FastifyError | ApiError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof ApiError) {
    if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
    reply.status(error.statusCode).send(error.toJSON());
    return;
  }
  const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
  if (status >= 400 && status < 500) {
    reply.status(status).send({ error: error.code ?? 'LAB_BAD_REQUEST', message: explainClientError(error) });
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  reply.status(500).send({ error: 'LAB_INTERNAL', message: 'internal error (see the api log)' });
}

async function api(app: FastifyInstance, options: ApiOptions): Promise<void> {
  await app.register(telemetry, options.telemetry ?? {});
  const { registry } = app.telemetry;
  const stop = options.stop ?? newStopFlag();
  const state = new FaultState();
  const triggers = new InputTriggers(registerFaultMetrics(registry, state));
  // Release is registered before anything is started: should a later step of this plugin throw
  // (a pool thread that cannot start, a bad downstream URL), the caller's app.close() still ends
  // the pool threads and timers already running, so a failed start can never keep a process alive.
  const started: { pools?: Pools; checkout?: Checkout } = {};
  app.addHook('onClose', async () => {
    await started.checkout?.close();
    await state.reset('close');
    await started.pools?.close();
  });
  const pools = new Pools(state, (name, pool) => app.telemetry.instrumentPool(name, pool), stop);
  started.pools = pools;
  const checkout = new Checkout({
    state,
    registry,
    downstreamUrl: options.downstreamUrl ?? DEFAULT_DOWNSTREAM_URL,
    adminToken: options.adminToken,
  });
  started.checkout = checkout;
  const blocker = new Blocker(
    state,
    stop,
    () =>
      pools.offloadActive()
        ? (mode, durationMs) => pools.offload.run<undefined>({ kind: 'block', mode, durationMs }, pools.retryAfterSeconds())
        : undefined,
    triggers,
  );
  const lab: LabContext = {
    state,
    stop,
    blocker,
    triggers,
    pools,
    checkout,
    trackThreadpool: (work) => app.telemetry.trackThreadpool(work),
  };
  app.decorate('lab', lab);
  app.setErrorHandler(errorHandler);

  // preClose runs before the server stops waiting for in-flight requests: fault work must end
  // now, or a 30 s block would hold the shutdown hostage.
  app.addHook('preClose', async () => {
    requestStop(stop);
    blocker.close();
  });
  await app.register(apiRoutes);
  await app.register(adminRoutes, { state, adminToken: options.adminToken });
}

export default fp(api, { name: 'runtime-lab-api', fastify: '5.x' });
