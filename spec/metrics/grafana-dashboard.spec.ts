/**
 * examples/grafana-dashboard.json is valid JSON for Grafana, and every metric its queries name is
 * one the Prometheus adapter really registers (src/prometheus.ts): a renamed metric breaks this.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { registerKinesumerMetrics } from '../../src/prometheus.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { FakeKinesis } from '../helpers/fake-kinesis.js';

interface Target {
  expr?: string;
  refId?: string;
}
interface Panel {
  id?: number;
  type?: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(new URL('../../examples/grafana-dashboard.json', import.meta.url), 'utf8')) as {
  title?: string;
  uid?: string;
  panels?: Panel[];
  templating?: { list?: { query?: { query?: string } | string }[] };
};
const panels = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = panels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((target) => target.expr ?? ''));
const templateQueries = (dashboard.templating?.list ?? []).map((v) => (typeof v.query === 'string' ? v.query : (v.query?.query ?? '')));

/** The metric names the adapter registers, prefix included. */
async function exportedNames(): Promise<Set<string>> {
  const registry = new Registry();
  const consumer = createKinesumer({ app: 'dash', kinesis: new FakeKinesis(undefined, Date.now, {}), stateStore: new MemoryStateStore(), logger: silentLogger });
  const unregister = registerKinesumerMetrics(consumer, { registry });
  const names = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
  unregister();
  return names;
}

test('the dashboard is Grafana JSON: a title and uid, panels with unique ids, a position and at least one query each', (t) => {
  t.truthy(dashboard.title);
  t.truthy(dashboard.uid);
  const ids = panels.map((p) => p.id);
  t.is(new Set(ids).size, ids.length, 'unique panel ids');
  for (const panel of panels) {
    t.truthy(panel.gridPos, `${panel.title} has a position`);
    t.truthy(panel.title);
  }
  for (const panel of queryPanels) {
    t.true((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    const refIds = (panel.targets ?? []).map((target) => target.refId);
    t.is(new Set(refIds).size, refIds.length, `${panel.title}: unique refIds`);
  }
});

test('every query names only metrics the Prometheus adapter exports, and filters by the app variable', async (t) => {
  const exported = await exportedNames();
  t.true(exported.size > 20, 'the adapter registered its metrics');
  for (const expr of [...exprs, ...templateQueries]) {
    const used = [...expr.matchAll(/\bkinesumer_[a-z_]+\b/g)].map((m) => m[0]);
    t.true(used.length > 0, `"${expr}" queries a kinesumer metric`);
    for (const name of used) t.true(exported.has(name), `${name} (in "${expr}") is exported by src/prometheus.ts`);
  }
  for (const expr of exprs) t.regex(expr, /app=~"\$app"/, `"${expr}" filters by $app`);
});

test('the dashboard covers what operators look at: records/s, lag and last-record age per shard, rebalances, errors by code', (t) => {
  const has = (re: RegExp) => exprs.some((e) => re.test(e));
  t.true(has(/rate\(kinesumer_records_total/), 'records/s');
  t.true(has(/by \(stream, shard\) \(kinesumer_millis_behind_latest/), 'lag per shard');
  t.true(has(/by \(stream, shard\) \(kinesumer_last_record_age_seconds/), 'last-record age per shard');
  t.true(has(/kinesumer_rebalances_total/), 'rebalances');
  t.true(has(/by \(code\) \(rate\(kinesumer_errors_total/), 'errors by code');
});
