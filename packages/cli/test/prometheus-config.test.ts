// The native Prometheus config is derived from prometheus/prometheus.yml; a target's port is read
// by the lab's one number rule, so a typo is refused with the target and what is allowed instead
// of being read as port 0 ("api:") or as another port ("api:0x1F90" is 8080 to Number()).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { writeNativePrometheusConfig } from '../src/prometheus.js';

function derive(t: { after(fn: () => void): void }, target: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'prometheus.yml');
  writeFileSync(source, `scrape_configs:\n  - job_name: api\n    static_configs:\n      - targets: ['${target}']\n`);
  return writeNativePrometheusConfig({ source, outDir: join(dir, 'out') });
}

for (const [target, why] of [
  ['api:', /port got "" \(empty\)/],
  ['api:0x1F90', /port got "0x1F90" \(not a plain decimal number\)/],
  ['api:9464.5', /port got "9464\.5" \(not an integer\)/],
  ['api:1e4', /port got "1e4" \(not a plain decimal number\)/],
  ['api:0', /port got "0" \(below 1\)/],
  ['api:70000', /port got "70000" \(above 65535\)/],
  ['api', / has no port/],
] as const) {
  test(`a scrape target written ${JSON.stringify(target)} is refused, naming the target and what is allowed`, (t) => {
    assert.throws(
      () => derive(t, target),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'LAB_CLI_USAGE');
        assert.match(error.message, new RegExp(`target "${target.replace('.', '\\.')}"`));
        assert.match(error.message, why);
        assert.match(error.message, /allowed: host:port with port an integer from 1 to 65535/);
        return true;
      },
    );
  });
}

test('a decimal port is kept and pointed at 127.0.0.1', (t) => {
  const config = parse(readFileSync(derive(t, 'api:9464'), 'utf8')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
  assert.deepEqual(config.scrape_configs[0]?.static_configs[0]?.targets, ['127.0.0.1:9464']);
});
