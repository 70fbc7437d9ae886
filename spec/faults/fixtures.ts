/**
 * What the fault tests share: emulators for a file, a producer that records where every record
 * went (shard and sequence number, from the PutRecords answer), a ledger of every delivery, and
 * the checks every fault test makes on them: nothing lost, how many delivered twice, and the
 * order per partition key.
 */
import { DeleteStreamCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { ExecutionContext, TestFn } from 'ava';
import { concatMap, tap, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import type { KinesumerError } from '../../src/errors.js';
import { createKinesumer, type Assignment, type Kinesumer } from '../../src/index.js';
import type { KinesumerConfig } from '../../src/config/resolve-config.js';
import { silentLogger } from '../../src/logger.js';
import type { KinesumerRecord } from '../../src/record.js';
import { createStateTable } from '../../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import { localDynamoClient, localKinesisClient } from '../helpers/aws-fixtures.js';
import { localAws, startDynalite, startKinesisLocal, type Emulator } from '../helpers/emulators.js';

/** The state-store table every fault test uses (each test has its own app name). */
export const TABLE = 'kinesumer-state';

export interface Emulators {
  kinesis: Emulator;
  dynamo: Emulator;
}

/** Starts kinesis-local and dynalite (with the table) for a file, and stops them after it. */
export function withEmulators<C extends Emulators>(test: TestFn<C>): void {
  test.before(async (t) => {
    const [kinesis, dynamo] = await Promise.all([startKinesisLocal(), startDynalite()]);
    await createStateTable(localDynamoClient(dynamo.endpoint), TABLE);
    Object.assign(t.context, { kinesis, dynamo });
  });
  test.after.always(async (t) => {
    await Promise.all([t.context.kinesis?.stop(), t.context.dynamo?.stop()]);
  });
}

/** `shardId-000000000007` for 7. */
export const shardId = (i: number): string => `shardId-${String(i).padStart(12, '0')}`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export { sleep };

/** One record as written: its payload, partition key and where Kinesis put it. */
export interface Written {
  data: string;
  key: string;
  shard: string;
  seq: string;
}

/** One delivery of a record to a member. */
export interface Delivery {
  member: string;
  stream: string;
  shard: string;
  seq: string;
  key: string;
  data: string;
  /** `Date.now()` at delivery. */
  t: number;
}

const decoder = new TextDecoder();

/** Every delivery of every member of a test, in the order they happened (one process). */
export class Ledger {
  readonly deliveries: Delivery[] = [];

  add(member: string, record: KinesumerRecord): void {
    this.deliveries.push({
      member,
      stream: record.stream,
      shard: record.shardId,
      seq: record.sequenceNumber,
      key: record.partitionKey,
      data: decoder.decode(record.data),
      t: Date.now(),
    });
  }

  /** Deliveries since `t` (ms since the epoch). */
  since(t: number): Delivery[] {
    return this.deliveries.filter((d) => d.t >= t);
  }
}

/**
 * Writes `perBatch` records every `intervalMs` (directly to kinesis-local, never through a
 * test's proxy), round-robin over `keys` partition keys, until stopped.
 */
export function startProducer(
  client: KinesisClient,
  stream: string,
  options: { prefix: string; keys: number; perBatch: number; intervalMs: number },
) {
  const written: Written[] = [];
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      await putBatch(client, stream, options.prefix, options.keys, options.perBatch, n, written);
      n += options.perBatch;
      await sleep(options.intervalMs);
    }
  })();
  return {
    written,
    /** Stops writing; resolves once the last batch is in. */
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** Writes `count` records numbered from `first`, round-robin over `keys` partition keys. */
export async function putBatch(
  client: KinesisClient,
  stream: string,
  prefix: string,
  keys: number,
  count: number,
  first: number,
  into: Written[] = [],
): Promise<Written[]> {
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, i) => {
      const n = first + start + i;
      const key = `${prefix}-key${n % keys}`;
      return { data: `${prefix}#${n}`, key };
    });
    const out = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: batch.map((r) => ({ Data: new TextEncoder().encode(r.data), PartitionKey: r.key })),
      }),
    );
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed to put`);
    out.Records!.forEach((r, i) => into.push({ ...batch[i]!, shard: r.ShardId!, seq: r.SequenceNumber! }));
  }
  return into;
}

/** Compares sequence numbers (decimal strings without leading zeros). */
export function compareSeq(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** What a fault test reports about delivery. */
export interface DeliveryReport {
  written: number;
  delivered: number;
  lost: string[];
  /** Deliveries beyond the first of each record. */
  duplicates: number;
  /**
   * Records delivered for the first time before an earlier record of the same partition key
   * (by sequence number) was ever delivered, as `key: seq before earlier-seq`.
   */
  orderViolations: string[];
  /** Records delivered that were never written (must be none). */
  unknown: string[];
}

/** Checks the ledger against what was written. */
export function deliveryReport(written: readonly Written[], deliveries: readonly Delivery[]): DeliveryReport {
  const delivered = new Set(deliveries.map((d) => d.data));
  const known = new Set(written.map((w) => w.data));
  // The written records of each key, in sequence-number order (the order Kinesis keeps).
  const byKey = new Map<string, Written[]>();
  for (const w of written) {
    const list = byKey.get(w.key) ?? [];
    list.push(w);
    byKey.set(w.key, list);
  }
  for (const list of byKey.values()) list.sort((a, b) => compareSeq(a.seq, b.seq));
  const rank = new Map<string, number>();
  for (const list of byKey.values()) list.forEach((w, i) => rank.set(w.data, i));
  // A key's records must be delivered for the first time in rank order: 0, 1, 2, ...
  const nextRank = new Map<string, number>();
  const firstSeen = new Set<string>();
  const orderViolations: string[] = [];
  for (const d of deliveries) {
    if (firstSeen.has(d.data) || !known.has(d.data)) continue;
    firstSeen.add(d.data);
    const expected = nextRank.get(d.key) ?? 0;
    const r = rank.get(d.data)!;
    if (r !== expected) orderViolations.push(`${d.key}: ${d.data} (rank ${r}) before rank ${expected}`);
    nextRank.set(d.key, Math.max(expected, r + 1));
  }
  return {
    written: written.length,
    delivered: deliveries.length,
    lost: written.filter((w) => !delivered.has(w.data)).map((w) => w.data),
    duplicates: deliveries.length - delivered.size,
    orderViolations,
    unknown: [...delivered].filter((d) => !known.has(d)),
  };
}

/** The common assertions: nothing lost, nothing unknown, order per key kept. */
export function assertDelivery(t: ExecutionContext, report: DeliveryReport): void {
  t.deepEqual(report.lost.slice(0, 20), [], `${report.lost.length} records lost`);
  t.deepEqual(report.unknown, []);
  t.deepEqual(report.orderViolations.slice(0, 20), [], `${report.orderViolations.length} order violations`);
}

/** Resolves when `predicate` holds, polling every 50 ms; rejects after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
  return Date.now() - start;
}

/** A consumer in this process, with everything a fault test looks at. */
export interface Member {
  id: string;
  consumer: Kinesumer;
  errors: Array<{ t: number; error: KinesumerError }>;
  /** The latest assignment. */
  assignment: Assignment;
  /** Every assignment change, with its time. */
  assignments: Array<{ t: number; assignment: Assignment }>;
  subscription: Subscription;
  /** Whether the record stream errored (it must not). */
  failed: unknown;
  close(): Promise<void>;
}

/** The config every fault test starts from: short timings, TRIM_HORIZON, emulators, no log. */
export function memberConfig(
  emulators: { kinesisEndpoint: string; dynamoEndpoint: string },
  app: string,
  clientId: string,
  extra: Partial<KinesumerConfig> = {},
): KinesumerConfig {
  return {
    app,
    clientId,
    kinesis: { endpoint: emulators.kinesisEndpoint, ...localAws, http1: true },
    stateStore: { table: TABLE, endpoint: emulators.dynamoEndpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 500, clientTimeout: 3000 },
    commit: { interval: 500 },
    polling: { idleInterval: 200 },
    retry: { initialDelay: 100, maxDelay: 2000 },
    // errors$ is what the tests read; the default logger would repeat every error on stderr
    logger: silentLogger,
    ...extra,
  };
}

/**
 * Starts a member: `consume(streams)`, every record into the ledger, then `process` (default:
 * nothing), then `checkpoint()`.
 */
export function startMember(
  config: KinesumerConfig,
  streams: string[],
  ledger: Ledger,
  process: OperatorFunction<KinesumerRecord, KinesumerRecord> = (source) => source,
): Member {
  const consumer = createKinesumer(config);
  const member: Member = {
    id: consumer.clientId,
    consumer,
    errors: [],
    assignment: {},
    assignments: [],
    subscription: undefined as unknown as Subscription,
    failed: undefined,
    close: () => consumer.close(),
  };
  consumer.errors$.subscribe((error) => member.errors.push({ t: Date.now(), error }));
  consumer.assignment$.subscribe((assignment) => {
    member.assignment = assignment;
    member.assignments.push({ t: Date.now(), assignment });
  });
  member.subscription = (consumer.consume(streams) as Observable<KinesumerRecord>)
    .pipe(
      tap((r) => ledger.add(member.id, r)),
      process,
      checkpoint(consumer),
    )
    .subscribe({ error: (err: unknown) => (member.failed = err) });
  return member;
}

/** A pipeline step that takes `ms` per record, one record at a time. */
export function slowly(ms: () => number): OperatorFunction<KinesumerRecord, KinesumerRecord> {
  return concatMap((r) => (ms() <= 0 ? [r] : sleep(ms()).then(() => r)));
}

/** Deletes a stream, ignoring a stream already gone (cleanup). */
export async function deleteStream(client: KinesisClient, stream: string): Promise<void> {
  await client.send(new DeleteStreamCommand({ StreamName: stream })).catch(() => undefined);
}

/** Clients for the emulators, not through any proxy, and a state store on the table. */
export function directClients(emulators: Emulators) {
  return {
    kinesis: localKinesisClient(emulators.kinesis.endpoint),
    dynamo: localDynamoClient(emulators.dynamo.endpoint),
    store: new DynamoDBStateStore({ table: TABLE, endpoint: emulators.dynamo.endpoint, ...localAws }),
  };
}

/** The shards of `stream` in an assignment, sorted. */
export const owned = (assignment: Assignment, stream: string): string[] => [...(assignment[stream] ?? [])].sort();

/** Shard owners as the state store held them, read between `start` and `end`. */
export interface OwnerSample {
  start: number;
  end: number;
  owners: Map<string, string | undefined>;
}

/**
 * Reads the owner of every shard of `stream` from the store every `everyMs` (directly, not
 * through any proxy), so that deliveries can be checked against who held the shard in the table.
 */
export function sampleOwners(store: DynamoDBStateStore, app: string, stream: string, everyMs = 200) {
  const samples: OwnerSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = Date.now();
      try {
        const states = await store.listShardStates(app, stream);
        samples.push({ start, end: Date.now(), owners: new Map(states.map((s) => [s.shardId, s.owner])) });
      } catch {
        // a loaded emulator may be slow; a missing sample only weakens the check
      }
      await sleep(everyMs);
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/**
 * Deliveries made by a member that the table says did not hold the shard: neither the last
 * sample read before the delivery nor the first read after it names that member as owner.
 */
export function deliveriesByNonOwners(samples: readonly OwnerSample[], deliveries: readonly Delivery[]): string[] {
  const out: string[] = [];
  for (const d of deliveries) {
    const before = [...samples].reverse().find((s) => s.end <= d.t);
    const after = samples.find((s) => s.start >= d.t);
    if (before === undefined || after === undefined) continue;
    if (before.owners.get(d.shard) !== d.member && after.owners.get(d.shard) !== d.member) {
      out.push(`${d.member} delivered ${d.shard}@${d.seq} while the table said ${before.owners.get(d.shard)} then ${after.owners.get(d.shard)}`);
    }
  }
  return out;
}

/** The records delivered more than once, by when: what a duplicate bound is checked against. */
export interface DuplicateReport {
  /** Deliveries beyond the first of each record. */
  count: number;
  /** Repeated deliveries made in [from, to) (ms since the epoch). */
  repeatedIn(from: number, to: number): number;
  /** The earliest first delivery of a record delivered again in [from, to): how far back those repeats reach (undefined: none). */
  reachBack(from: number, to: number): number | undefined;
  /** Records whose first delivery was in [from, to). */
  firstIn(from: number, to: number): number;
  /** The repeats in [from, to) by shard and by who delivered first and again: `shard first→again: count`. */
  describe(from: number, to: number): string[];
}

/** Every record's deliveries by time, from the ledger (any member). */
export function duplicateReport(deliveries: ReadonlyArray<Pick<Delivery, 'data' | 't' | 'member' | 'shard'>>): DuplicateReport {
  const first = new Map<string, number>();
  const firstBy = new Map<string, string>();
  const repeats: Array<{ t: number; first: number; what: string }> = [];
  for (const d of [...deliveries].sort((a, b) => a.t - b.t)) {
    const seen = first.get(d.data);
    if (seen === undefined) {
      first.set(d.data, d.t);
      firstBy.set(d.data, d.member);
    } else repeats.push({ t: d.t, first: seen, what: `${d.shard.slice(-2)} ${firstBy.get(d.data)}→${d.member}` });
  }
  const within = (from: number, to: number) => repeats.filter((r) => r.t >= from && r.t < to);
  return {
    count: repeats.length,
    repeatedIn: (from, to) => within(from, to).length,
    reachBack: (from, to) => {
      const firsts = within(from, to).map((r) => r.first);
      return firsts.length === 0 ? undefined : Math.min(...firsts);
    },
    firstIn: (from, to) => [...first.values()].filter((t) => t >= from && t < to).length,
    describe: (from, to) => {
      const counts = new Map<string, number>();
      for (const r of within(from, to)) counts.set(r.what, (counts.get(r.what) ?? 0) + 1);
      return [...counts].map(([what, n]) => `${what}: ${n}`);
    },
  };
}
