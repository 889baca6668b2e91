// What the routes need from the app, decorated once on the instance as `app.lab`.
import type { Checkout } from './checkout/checkout.js';
import type { RouteName } from './faults/catalogue.js';
import type { Blocker } from './faults/blocking.js';
import type { StopFlag } from './faults/blocking-work.js';
import type { FaultState } from './faults/state.js';
import type { InputTriggers } from './faults/trigger.js';
import type { Pools } from './pool/pools.js';

export interface LabContext {
  state: FaultState;
  /** Set at shutdown: fault work (blocking, pool tasks) ends early. */
  stop: StopFlag;
  blocker: Blocker;
  /** Whether a fault with an input trigger fires on a request (counted in lab_fault_trigger_requests_total). */
  triggers: InputTriggers;
  pools: Pools;
  checkout: Checkout;
  /** Counts libuv threadpool work in flight (telemetry's trackThreadpool). */
  trackThreadpool<T>(work: Promise<T>): Promise<T>;
}

declare module 'fastify' {
  interface FastifyInstance {
    lab: LabContext;
  }
  interface FastifyContextConfig {
    /** The route's name in the fault catalogue (blocking's `routes` parameter). */
    labRoute?: RouteName;
  }
}
