import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ServeMetrics } from '../../src/serve/metrics.ts';

describe('Grafana dashboard', () => {
  it('queries only metrics the daemon exports, and shows every one of them', async () => {
    const dash = JSON.parse(readFileSync('deploy/grafana/gatehouse-dashboard.json', 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exported = new Set((await new ServeMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
    const used = new Set<string>();
    for (const p of dash.panels)
      for (const t of p.targets)
        for (const m of t.expr.matchAll(/\b(gatehouse_[a-z_]+?)(?:_bucket|_sum|_count)?\{/g)) used.add(m[1] as string);
    for (const name of used) assert.ok(exported.has(name), `dashboard queries ${name}, which is not exported`);
    for (const name of exported) assert.ok(used.has(name), `${name} is exported but not on the dashboard`);
  });
});
