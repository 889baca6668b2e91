import { defineScenario } from '@runtime-lab/scenarios';

// An incident replay in the shape of many public postmortems: one customer's input sends a
// validation regex into catastrophic backtracking, every request carrying it holds the event
// loop, the load balancer retries the requests that timed out (more of the same input), health
// checks start failing, and every other customer waits behind the stalls while the server-side
// latency of their routes looks normal.
//
// The customer's input is a real input here: the `blocking` fault in `regex` mode fires only on
// /api/orders requests carrying `x-customer: c-4711` (an input trigger), the route every other
// customer calls too. Each stream has its own row in the lead-time table, against its own SLO.
// Run it with
//   lab run docs/examples/regex-incident.scenario.ts
// (add --quick for the short profile). docs/scenarios.md walks through it.

// What every request carrying the customer's input looks like, first sends and retries alike;
// the load balancer gives up on each after 2 s.
const badInput = {
  route: '/api/orders',
  headers: { 'x-customer': 'c-4711' },
  query: { customer: 'c-4711' },
  timeoutMs: 2000,
};

export default defineScenario({
  name: 'regex-incident',
  title: 'Incident replay: one customer’s input hangs a regex, the load balancer retries',
  description:
    'Storefront and checkout traffic at constant arrival rates for the whole run; in the incident phase one customer (c-4711) calls /api/orders twice every 5 s, and each of their requests holds the loop in a backtracking regex for 700 ms while every other customer’s requests to the same route do not; the load balancer retries in bursts. The storefront waits behind every stall; the server-side P99 does not show it.',
  liveness: { periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 3 },
  streams: [
    // Everyone else, from the first second to the last, never restarted at a phase boundary.
    // Its own SLO (300 ms on P99) is the threshold of its row in the lead-time table.
    {
      kind: 'rate',
      name: 'storefront',
      route: '/api/orders',
      ratePerSecond: 20,
      headers: { 'x-customer': 'many' },
      query: { page: '1' },
      sloMs: 300,
    },
    {
      kind: 'rate',
      name: 'checkout',
      route: '/api/checkout',
      method: 'POST',
      ratePerSecond: 2,
      bodies: {
        values: [
          { cart: 'c-1001', items: 1 },
          { cart: 'c-1002', items: 3 },
          { cart: 'c-1003', items: 2 },
        ],
        pick: 'rotate',
      },
    },
    // The customer whose input triggers the regex, during the incident only: the same route.
    { kind: 'rate', name: 'bad-customer', ratePerSecond: 0.4, ...badInput, sloMs: 500, phases: { from: 'incident', to: 'incident' } },
  ],
  phases: [
    { name: 'before', durationSeconds: 6 },
    {
      name: 'incident',
      durationSeconds: 14,
      faults: { blocking: { mode: 'regex', durationMs: 700, routes: ['orders'], trigger: 'header:x-customer=c-4711' } },
      streams: [
        // The load balancer retries the customer's timed-out requests, three at a time.
        { kind: 'burst', name: 'lb-retries', atSecond: 3, count: 3, ...badInput },
        { kind: 'burst', name: 'lb-retries-again', atSecond: 7, count: 3, ...badInput },
      ],
    },
    { name: 'after', durationSeconds: 6, settleSeconds: 2 },
  ],
  expectations: [
    { phase: 'before', signal: 'rampP99', stream: 'storefront', below: 0.2, why: 'healthy before the bad input arrives' },
    {
      phase: 'incident',
      signal: 'rampP99',
      stream: 'storefront',
      above: 0.5,
      why: 'the storefront never sends the bad input, yet waits behind every 700 ms stall',
    },
    {
      phase: 'incident',
      signal: 'rampP99',
      stream: 'bad-customer',
      above: 0.6,
      why: 'each of the customer’s requests runs the 700 ms regex itself',
    },
    {
      phase: 'incident',
      signal: 'serverP99',
      below: 0.05,
      why: 'the server-side histogram of the probe route starts after the wait: the dashboards look calm',
    },
    { phase: 'incident', signal: 'loopDelayMax', above: 0.5, why: 'loop delay tells the truth' },
    {
      leads: { stream: 'bad-customer' },
      before: { stream: 'storefront' },
      why: 'one customer’s input is everybody’s outage: the storefront breaches its SLO no later than the customer who sends it (one event loop)',
    },
    {
      phase: 'after',
      signal: 'rampP99',
      stream: 'storefront',
      below: { phase: 'incident', factor: 0.5 },
      why: 'the stalls end when the input stops',
    },
  ],
  quick: { phases: { before: { durationSeconds: 3 }, incident: { durationSeconds: 10 }, after: { durationSeconds: 4 } } },
});
