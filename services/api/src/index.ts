// @runtime-lab/api: the deliberately faulty service as a Fastify plugin, and its fault
// catalogue (what the scenario runner, the CLI and the docs read).
export { default as api, DEFAULT_DOWNSTREAM_URL, type ApiOptions } from './app.js';
export * from './faults/catalogue.js';
export { describeAllowed, validateToggleBody, type Clamp, type ParamProblem, type ValidatedToggle } from './faults/validate.js';
export { FaultState, type ToggleChange, type ToggleView } from './faults/state.js';
export { ApiError, type ApiErrorCode } from './errors.js';
export { HEALTHY_CHECKOUT } from './checkout/checkout.js';
export { HEALTHY_REPORT } from './pool/pools.js';
export { HEALTHY_HASH } from './routes/api.js';
export { CHUNK_MS } from './faults/blocking.js';
