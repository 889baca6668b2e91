// @runtime-lab/test-kit: the repository's test helpers, in one private package that only tests
// and benchmarks depend on (no product package exports a test helper).
export * from './admin.js';
export * from './child-server.js';
export * from './chromium.js';
export * from './dashboards.js';
export * from './http.js';
export * from './load.js';
export * from './phase-metrics.js';
export * from './ports.js';
export * from './process.js';
export * from './prometheus.js';
export * from './prometheus-api.js';
export * from './promql.js';
export * from './repo.js';
export * from './services.js';
export * from './tools.js';
export * from './lab-cli.js';
