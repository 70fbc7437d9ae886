/**
 * Many clients: up to 10 consumers in this process on a 20-shard stream: 4 start, 6 join one by
 * one, then 8 more joins and leaves in an order drawn from a seeded RNG (FAULTS_SEED), about
 * 40 s in all, while a producer writes. Leaving is either a
 * graceful `close()` or a partition from the table (every state-store call of that client hangs
 * from then on: it stops heartbeating, must stop reading after `clientTimeout`, and the others take
 * its shards). After every event the test waits for a quiet point and checks it against the table:
 * each of the 20 shards held by exactly one live client, the one whose assignment has it. At the
 * end every record written must have been delivered, in order per key, and no delivery may come
 * from a client the table did not name as the shard's owner.
 */
import anyTest, { type TestFn } from 'ava';
import { createStream } from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import {
  Ledger,
  TABLE,
  assertDelivery,
  deliveriesByNonOwners,
  deliveryReport,
  directClients,
  memberConfig,
  owned,
  sampleOwners,
  shardId,
  sleep,
  startMember,
  startProducer,
  waitUntil,
  withEmulators,
  type Emulators,
  type Member,
} from './fixtures.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

const SEED = Number(process.env['FAULTS_SEED'] ?? 20240611);
const EVENTS = Number(process.env['FAULTS_EVENTS'] ?? 14);
const START = 4;
const SHARDS = Array.from({ length: 20 }, (_, i) => shardId(i));
const GROUP = { syncInterval: 500, clientTimeout: 3000 };

/** mulberry32: a small seeded RNG, so a failing order can be replayed with FAULTS_SEED. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The events: joins from 4 clients up to 10, then the rest in an order drawn from `random`:
 * about a quarter each of joins and partitions from the table, half graceful leaves, never fewer
 * than 3 or more than 10 clients.
 */
function plan(random: () => number, events: number): Array<'join' | 'leave' | 'cut'> {
  const ramp = Array<'join'>(Math.min(events, 10 - START)).fill('join');
  const rest = events - ramp.length;
  const cuts = Math.max(1, Math.round(rest / 4));
  const leaves = Math.max(1, Math.round(rest / 2));
  const pool: Array<'join' | 'leave' | 'cut'> = [
    ...Array<'cut'>(cuts).fill('cut'),
    ...Array<'leave'>(leaves).fill('leave'),
    ...Array<'join'>(Math.max(0, rest - cuts - leaves)).fill('join'),
  ];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const out: Array<'join' | 'leave' | 'cut'> = [...ramp];
  let live = START + ramp.length;
  while (pool.length > 0) {
    const i = pool.findIndex((a) => (a === 'join' ? live < 10 : live > 3));
    const action = i < 0 ? 'join' : pool.splice(i, 1)[0]!;
    live += action === 'join' ? 1 : -1;
    out.push(action);
  }
  return out;
}

/** A DynamoDB state store that can be cut off for good: every call from then on hangs. */
function partitionable(endpoint: string): { store: StateStore; cut: () => void } {
  const inner = new DynamoDBStateStore({ table: TABLE, endpoint, ...localAws });
  let cut = false;
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (cut ? new Promise(() => undefined) : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  }) as StateStore;
  return { store, cut: () => (cut = true) };
}

test(`${EVENTS} joins and leaves among up to 10 clients on 20 shards: at every quiet point each shard has one owner; every record delivered`, async (t) => {
  const { kinesis, store } = directClients(t.context);
  const stream = `many-${Date.now().toString(36)}`;
  await createStream(kinesis, stream, 20);
  const app = 'many';
  const ledger = new Ledger();
  const random = rng(SEED);
  const endpoints = { kinesisEndpoint: t.context.kinesis.endpoint, dynamoEndpoint: t.context.dynamo.endpoint };
  const live: Array<Member & { cut: () => void }> = [];
  const gone: Member[] = [];
  /** Clients cut off from the table: still subscribed, so only the heartbeat watchdog stops their readers. */
  const cutOff: Member[] = [];
  let next = 1;
  const join = () => {
    const { store: own, cut } = partitionable(t.context.dynamo.endpoint);
    const id = `c${String(next++).padStart(2, '0')}`;
    const member = startMember(
      memberConfig(endpoints, app, id, { group: GROUP, polling: { idleInterval: 500 }, stateStore: own }),
      [stream],
      ledger,
    );
    live.push(Object.assign(member, { cut }));
    return id;
  };

  /**
   * Quiet: clients cut off from the table have given up every shard, the live clients'
   * assignments partition the shards, and the table agrees.
   */
  const quiet = async (): Promise<boolean> => {
    if (cutOff.some((m) => owned(m.assignment, stream).length > 0)) return false;
    const assigned = live.flatMap((m) => owned(m.assignment, stream));
    if (assigned.length !== SHARDS.length || [...assigned].sort().join() !== SHARDS.join()) return false;
    // every live client has its share (a newcomer's empty assignment is not quiet)
    if (live.some((m) => owned(m.assignment, stream).length < Math.floor(SHARDS.length / live.length))) return false;
    const states = await store.listShardStates(app, stream);
    const owners = new Map(states.map((s) => [s.shardId, s.owner]));
    return live.every((m) => owned(m.assignment, stream).every((s) => owners.get(s) === m.id));
  };

  for (let i = 0; i < START; i++) join();
  const producer = startProducer(kinesis, stream, { prefix: 'm', keys: 64, perBatch: 40, intervalMs: 200 });
  const sampler = sampleOwners(store, app, stream, 250);
  const log: string[] = [];
  try {
    const settle = async (what: string) => {
      const start = Date.now();
      while (!(await quiet())) {
        if (Date.now() - start > 20_000) {
          const view = live.map((m) => `${m.id}: ${owned(m.assignment, stream).map((s) => Number(s.slice(-3))).join(',')}`);
          const states = await store.listShardStates(app, stream);
          const table = states.map((st) => `${Number(st.shardId.slice(-3))}=${st.owner ?? '-'}`).join(' ');
          throw new Error(`no quiet point 20 s after ${what}: ${view.join(' | ')}; table: ${table}`);
        }
        await sleep(100);
      }
      return Date.now() - start;
    };
    log.push(`start with ${START}: quiet after ${await settle('the start')} ms`);

    for (const action of plan(random, EVENTS)) {
      let what: string;
      if (action === 'join') {
        what = `${join()} joined`;
      } else {
        const victim = live.splice(Math.floor(random() * live.length), 1)[0]!;
        gone.push(victim);
        if (action === 'cut') {
          victim.cut(); // partitioned from the table: it must stop reading after clientTimeout
          cutOff.push(victim);
          what = `${victim.id} was cut off from the table`;
        } else {
          await victim.close();
          victim.subscription.unsubscribe();
          what = `${victim.id} left`;
        }
      }
      const took = await settle(what);
      log.push(`${what} (${live.length} live): quiet after ${took} ms`);
      await sleep(300 + Math.floor(random() * 700));
    }

    await producer.stop();
    await waitUntil(() => deliveryReport(producer.written, ledger.deliveries).lost.length === 0, 30_000, 'every record');
    await sampler.stop();
    const report = deliveryReport(producer.written, ledger.deliveries);
    t.log(`seed ${SEED}:\n  ${log.join('\n  ')}`);
    t.log(`${report.written} records, ${report.lost.length} lost, ${report.duplicates} duplicates; ${sampler.samples.length} owner samples`);

    assertDelivery(t, report);
    t.deepEqual(deliveriesByNonOwners(sampler.samples, ledger.deliveries).slice(0, 10), [], 'every delivery came from the owner in the table');
    t.deepEqual([...live, ...gone].map((m) => m.failed).filter((f) => f !== undefined), []);
  } finally {
    await sampler.stop();
    await producer.stop();
    await Promise.all(live.map((m) => m.close()));
    [...live, ...cutOff].forEach((m) => m.subscription.unsubscribe());
  }
});
