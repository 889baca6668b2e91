// The lab's routes (table in docs/services.md). Each carries its catalogue name in `config.labRoute`, which is how
// the blocking fault finds the routes it was told to hit.
import { pbkdf2 } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { checkJsonNumber, describeNumberRule } from '@runtime-lab/values';
import type { FastifyPluginAsync } from 'fastify';
import type { HashResult, ReportResult } from '../pool/tasks.js';
import { ApiError } from '../errors.js';
import { assetPath } from '../paths.js';
import { show } from '../faults/validate.js';

const pbkdf2Async = promisify(pbkdf2);

/** /api/hash while threadpool-saturation is off: one light job. */
export const HEALTHY_HASH = { jobsPerRequest: 1, iterations: 1_000, concurrency: 1 } as const;

const ORDERS = Array.from({ length: 20 }, (_, i) => ({
  id: `ord-${1000 + i}`,
  customer: `customer-${i % 7}`,
  items: (i % 4) + 1,
  totalCents: 1999 + i * 250,
  status: i % 5 === 0 ? 'shipped' : 'paid',
}));

const ROWS = { integer: true, min: 1, max: 100_000 };
const CUSTOMER_MAX_LENGTH = 256;

/**
 * Rows of a POST /api/report body ({"rows": n, "customer": "…"}, both optional; empty or null: 1000
 * rows). Checked by hand rather than by a schema: Fastify's ajv coerces types, so {"rows":"0x10"}
 * would have run 16 rows. `customer` says whose report it is: only an input a fault trigger can
 * match (`body:customer=…`).
 */
function reportRows(body: unknown): number {
  if (body === undefined || body === null) return 1000;
  const keys = typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : undefined;
  if (!keys || keys.some((k) => k !== 'rows' && k !== 'customer')) {
    throw new ApiError(
      'LAB_INVALID_BODY',
      400,
      `body of POST /api/report must be {"rows": n, "customer": "…"} (both optional) or empty; got ${show(body)}`,
    );
  }
  const customer = (body as { customer?: unknown }).customer;
  if (customer !== undefined && (typeof customer !== 'string' || customer.length < 1 || customer.length > CUSTOMER_MAX_LENGTH)) {
    throw new ApiError(
      'LAB_INVALID_BODY',
      400,
      `customer: expected a string of 1 to ${CUSTOMER_MAX_LENGTH} characters, got ${show(customer)}`,
    );
  }
  const rows = (body as { rows?: unknown }).rows;
  if (rows === undefined) return 1000;
  const reading = checkJsonNumber(rows, ROWS);
  if (!reading.ok) throw new ApiError('LAB_INVALID_BODY', 400, `rows: expected ${describeNumberRule(ROWS)}, ${reading.problem}`);
  return reading.value;
}

/** Runs `count` jobs, at most `concurrency` at a time. */
async function inBatches<T>(count: number, concurrency: number, job: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  const lanes = Array.from({ length: Math.min(count, concurrency) }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await job(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

const apiRoutes: FastifyPluginAsync = async (app) => {
  const { state, pools, checkout, blocker, triggers, trackThreadpool } = app.lab;

  app.addHook('preHandler', async (request) => {
    const route = request.routeOptions.config.labRoute;
    if (route) await blocker.maybeBlock(route, request);
  });

  app.get('/api/ping', { config: { labRoute: 'ping' } }, async () => ({ pong: true }));

  app.get('/api/orders', { config: { labRoute: 'orders' } }, async () => ({ orders: ORDERS }));

  app.post('/api/report', { config: { labRoute: 'report' } }, async (request) => {
    const rows = reportRows(request.body);
    const taskMs = pools.reportTaskMs((saturation) => triggers.fires('executor-saturation', saturation, request));
    const result = await pools.report.run<ReportResult>({ kind: 'report', taskMs, rows }, pools.retryAfterSeconds());
    return { report: result };
  });

  app.get('/api/hash', { config: { labRoute: 'hash' } }, async (request) => {
    const saturation = state.get('threadpool-saturation');
    const fires = saturation !== undefined && triggers.fires('threadpool-saturation', saturation, request);
    const { jobsPerRequest, iterations, concurrency } = fires ? saturation : HEALTHY_HASH;
    let offloaded = 0;
    const hashes = await inBatches(jobsPerRequest, concurrency, async (index) => {
      const salt = `salt-${index}`;
      // Decided per job: offload may be turned off (its pool retired) while a request runs.
      if (pools.offloadActive()) {
        offloaded++;
        return (await pools.offload.run<HashResult>({ kind: 'hash', iterations, salt }, pools.retryAfterSeconds())).hash;
      }
      return (await trackThreadpool(pbkdf2Async('runtime-lab', salt, iterations, 32, 'sha512'))).toString('hex');
    });
    return { jobs: jobsPerRequest, iterations, offloaded, hash: hashes[0] };
  });

  const configFile = assetPath('config.json');
  app.get('/api/config', { config: { labRoute: 'config' } }, async () => {
    // Async fs: open, stat, read and close each take a libuv threadpool thread.
    const text = await trackThreadpool(readFile(configFile, 'utf8'));
    return JSON.parse(text) as unknown;
  });

  app.post('/api/checkout', { config: { labRoute: 'checkout' } }, async (request, reply) => {
    const cancelled = new AbortController();
    // The response closing before it finished means the client went away.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) cancelled.abort();
    });
    return {
      checkout: await checkout.run(cancelled.signal, (amplification) => triggers.fires('queue-amplification', amplification, request)),
    };
  });

  app.get('/health', async () => ({
    status: 'ok',
    active: state
      .list()
      .filter((t) => t.active)
      .map((t) => t.name),
  }));
};

export default apiRoutes;
