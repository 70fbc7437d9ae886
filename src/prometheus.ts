/**
 * Prometheus metrics for rx-kinesumer consumers, through prom-client (an optional peer
 * dependency: install it to use this entry point).
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { register } from 'prom-client';
 * import { registerKinesumerMetrics } from 'rx-kinesumer/prometheus';
 *
 * registerKinesumerMetrics(consumer);
 * createServer(async (_req, res) => res.end(await register.metrics())).listen(9464);
 * ```
 * @packageDocumentation
 */
import { Counter, Gauge, register as defaultRegistry, type Registry } from 'prom-client';
import type { Kinesumer } from './consumer/kinesumer.js';
import type { KinesumerMetrics } from './metrics/metrics.js';

/** Options for {@link registerKinesumerMetrics}. */
export interface PrometheusOptions {
  /** The registry to register the metrics in. Default: prom-client's global registry. */
  registry?: Registry;
  /** Prefix of every metric name. Default `kinesumer_`. */
  prefix?: string;
}

/**
 * Registers conventional Prometheus metrics for one or more consumers in a registry. Values are
 * read from the consumers when the registry is scraped, so nothing is done between scrapes.
 * Labels are `app`, and `stream` and `shard` where it makes sense (bounded by the streams' shard
 * counts); never the client id or record data, so there are no unbounded label values.
 *
 * Metrics: `kinesumer_records_total`, `kinesumer_bytes_total`, `kinesumer_records_checkpointed_total`,
 * `kinesumer_get_records_calls_total`, `kinesumer_throttles_total`, `kinesumer_shard_stalls_total`,
 * and the gauges of owned shards `kinesumer_millis_behind_latest`, `kinesumer_last_record_age_seconds`,
 * `kinesumer_shard_records_in_flight`, `kinesumer_shard_stalled` and `kinesumer_shard_state` (by
 * `state` too) (by stream and shard); `kinesumer_owned_shards`, `kinesumer_leader`, `kinesumer_alive_clients`,
 * `kinesumer_rebalances_total`, `kinesumer_last_rebalance_duration_seconds`, `kinesumer_commits_total`,
 * `kinesumer_commit_failures_total`, `kinesumer_last_commit_latency_seconds`,
 * `kinesumer_state_store_calls_total` (by method), `kinesumer_errors_total` (by code); for the
 * processing operators `kinesumer_records_in_flight`, `kinesumer_records_waiting`,
 * `kinesumer_records_processed_total`, `kinesumer_processing_retries_total`,
 * `kinesumer_records_dead_lettered_total`, `kinesumer_handler_seconds_sum` and `_count`.
 *
 * @param consumers The consumers to export; call again to add more to the same registry.
 * @returns A function that removes the metrics from the registry.
 */
export function registerKinesumerMetrics(consumers: Kinesumer | Kinesumer[], options: PrometheusOptions = {}): () => void {
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'kinesumer_';
  const list = Array.isArray(consumers) ? consumers : [consumers];
  const names: string[] = [];

  const shardCounter = (name: string, help: string, pick: (s: ReturnType<Kinesumer['shardTotals']>[number]) => number) => {
    names.push(prefix + name);
    return new Counter({
      name: prefix + name,
      help,
      labelNames: ['app', 'stream', 'shard'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const c of list) for (const s of c.shardTotals()) this.inc({ app: c.config.app, stream: s.stream, shard: s.shardId }, pick(s));
      },
    });
  };
  const clientMetric = <T extends 'counter' | 'gauge'>(kind: T, name: string, help: string, pick: (m: ReturnType<Kinesumer['metricsSnapshot']>) => number | undefined) => {
    names.push(prefix + name);
    const collect = function (this: Counter<'app'> | Gauge<'app'>) {
      this.reset();
      for (const c of list) {
        const value = pick(c.metricsSnapshot());
        if (value === undefined) continue;
        if (this instanceof Gauge) this.set({ app: c.config.app }, value);
        else this.inc({ app: c.config.app }, value);
      }
    };
    const config = { name: prefix + name, help, labelNames: ['app'] as const, registers: [registry], collect };
    return kind === 'counter' ? new Counter(config) : new Gauge(config);
  };
  const keyed = (name: string, help: string, label: 'method' | 'code', pick: (m: ReturnType<Kinesumer['metricsSnapshot']>) => Record<string, number>) => {
    names.push(prefix + name);
    return new Counter({
      name: prefix + name,
      help,
      labelNames: ['app', label] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const c of list) for (const [k, v] of Object.entries(pick(c.metricsSnapshot()))) this.inc({ app: c.config.app, [label]: k } as never, v);
      },
    });
  };

  shardCounter('records_total', 'Records delivered.', (s) => s.records);
  shardCounter('bytes_total', 'Payload bytes delivered.', (s) => s.bytes);
  shardCounter('records_checkpointed_total', 'Records covered by committed checkpoints.', (s) => s.checkpointed);
  shardCounter('get_records_calls_total', 'GetRecords calls made.', (s) => s.calls);
  shardCounter('throttles_total', 'Kinesis calls throttled.', (s) => s.throttles);
  shardCounter('shard_stalls_total', 'Stalls reported (shardStalled).', (s) => s.stalls);
  // Gauges of the shards a consumer holds now, read from its snapshot at scrape time.
  const ownedShardGauge = (name: string, help: string, pick: (s: KinesumerMetrics['shards'][number]) => number | undefined) => {
    names.push(prefix + name);
    return new Gauge({
      name: prefix + name,
      help,
      labelNames: ['app', 'stream', 'shard'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const c of list) {
          for (const s of c.metricsSnapshot().shards) {
            const value = pick(s);
            if (value !== undefined) this.set({ app: c.config.app, stream: s.stream, shard: s.shardId }, value);
          }
        }
      },
    });
  };
  ownedShardGauge('millis_behind_latest', 'The last MillisBehindLatest Kinesis reported for an owned shard.', (s) => s.millisBehindLatest);
  ownedShardGauge('last_record_age_seconds', 'How old the last delivered record of an owned shard is (its approximate arrival time).', (s) =>
    s.lastRecordAgeMs === undefined ? undefined : s.lastRecordAgeMs / 1000,
  );
  ownedShardGauge('shard_records_in_flight', 'Records of an owned shard delivered and not yet marked by checkpoint().', (s) => s.inFlight);
  ownedShardGauge('shard_stalled', '1 while an owned shard is reported stalled (behind the tip, nothing delivered for metrics.stallTimeout).', (s) => (s.stalled ? 1 : 0));
  names.push(`${prefix}shard_state`);
  new Gauge({
    name: `${prefix}shard_state`,
    help: 'What this client does with an owned shard: 1 for its current state (reading, paused, backpressure, checkpointRejected, cannotRead, failingRecords, stalled).',
    labelNames: ['app', 'stream', 'shard', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const c of list) for (const s of c.metricsSnapshot().shards) this.set({ app: c.config.app, stream: s.stream, shard: s.shardId, state: s.state }, 1);
    },
  });
  clientMetric('gauge', 'owned_shards', 'Shards this client holds.', (m) => m.ownedShards);
  clientMetric('gauge', 'leader', '1 if this client leads its group.', (m) => (m.leader ? 1 : 0));
  clientMetric('gauge', 'alive_clients', 'Alive clients of the group at the last sync.', (m) => m.aliveClients);
  clientMetric('counter', 'rebalances_total', 'Changes of this client\'s assignment.', (m) => m.rebalances.count);
  clientMetric('gauge', 'last_rebalance_duration_seconds', 'Time the last rebalance took to take every new shard.', (m) =>
    m.rebalances.lastDurationMs === undefined ? undefined : m.rebalances.lastDurationMs / 1000,
  );
  clientMetric('counter', 'commits_total', 'Checkpoint writes applied.', (m) => m.commits.count);
  clientMetric('counter', 'commit_failures_total', 'Checkpoint writes failed or rejected.', (m) => m.commits.failures);
  clientMetric('gauge', 'last_commit_latency_seconds', 'Latency of the last checkpoint write.', (m) =>
    m.commits.lastLatencyMs === undefined ? undefined : m.commits.lastLatencyMs / 1000,
  );
  clientMetric('gauge', 'records_in_flight', 'Records whose handler runs now (processRecords, processBatches).', (m) => m.processing.inFlight);
  clientMetric('gauge', 'records_waiting', 'Records waiting for an earlier record of their key or shard, or for the concurrency limit.', (m) => m.processing.waiting);
  clientMetric('counter', 'records_processed_total', 'Records the handler processed.', (m) => m.processing.processed);
  clientMetric('counter', 'processing_retries_total', 'Failed handler attempts that were tried again.', (m) => m.processing.retries);
  clientMetric('counter', 'records_dead_lettered_total', 'Records given to the dead-letter sink.', (m) => m.processing.deadLettered);
  clientMetric('counter', 'handler_seconds_sum', 'Total time handlers took.', (m) => m.processing.handlerMs / 1000);
  clientMetric('counter', 'handler_seconds_count', 'Handler calls that succeeded.', (m) => m.processing.handlerCalls);
  keyed('state_store_calls_total', 'State-store calls by method.', 'method', (m) => m.storeCalls);
  keyed('errors_total', 'Errors reported on errors$, by code.', 'code', (m) => m.errors);

  return () => {
    for (const name of names) registry.removeSingleMetric(name);
  };
}
