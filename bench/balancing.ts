/**
 * Balancing figures on virtual time: real consumers (`createKinesumer`) on the in-memory state
 * store and the test kit's FakeKinesis, default group timings (syncInterval 5 s, clientTimeout
 * 10 s), for each assignment strategy:
 *  1. moves per change: 3 -> 4 clients on 12 shards, 4 -> 3, a rolling restart of 4 clients with
 *     stable ids (closed, started again 2 s later under the same id; with and without
 *     static membership), 10 seeded random joins and leaves on 20 clients x 200 shards. Shards
 *     moved (taken by another client than the one that held them), time from the change to the
 *     last take it caused, records delivered twice (one record a second on every shard);
 *  2. load balance: 8 clients, 64 shards with Zipf-skewed throughput (the hottest 20x the median),
 *     30 virtual minutes: max client load / mean client load, and moves at steady load.
 *
 *   npm run bench -- balancing      (about a minute; writes .bench/balancing.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { createKinesumer, processRecords, silentLogger, type Kinesumer, type KinesumerRecord } from '../src/index.js';
import type { AssignmentStrategy } from '../src/group/assign-stream.js';
import { MemoryStateStore } from '../src/state-store/memory-state-store.js';
import { FakeKinesis } from '../src/testing/fake-kinesis.js';

const STRATEGIES: AssignmentStrategy[] = ['kinesumer', 'sticky', 'balanced'];
const SYNC = 5000;

/** A seeded PRNG (mulberry32): the same scenario on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Move {
  at: number;
  shardId: string;
}

/** A consumer group on one virtual clock, with every take and delivery counted. */
class Group {
  readonly scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  readonly kinesis = new FakeKinesis({ scheduler: this.scheduler });
  readonly store = new MemoryStateStore();
  readonly members = new Map<string, Kinesumer>();
  readonly deliveries = new Map<string, number>();
  readonly moves: Move[] = [];
  /** The last take of each shard, by whom and when. */
  readonly holder = new Map<string, string>();
  lastTakeAt = 0;
  private seq = 0;

  constructor(
    readonly strategy: AssignmentStrategy,
    readonly shardCount: number,
    readonly staticMembership = false,
  ) {
    this.kinesis.createStream('s', { shards: shardCount });
  }

  at(ms: number, work: () => void): void {
    this.scheduler.schedule(work, ms - this.scheduler.now());
  }

  start(id: string): void {
    const m = createKinesumer({
      app: 'bench',
      clientId: id,
      kinesis: this.kinesis,
      stateStore: this.store,
      scheduler: this.scheduler,
      initialPosition: 'TRIM_HORIZON',
      logger: silentLogger,
      group: { assignment: this.strategy, staticMembership: this.staticMembership },
    });
    m.events$.subscribe((e) => {
      if (e.type !== 'shardAcquired') return;
      const before = this.holder.get(e.shardId);
      if (before !== undefined && before !== id) this.moves.push({ at: e.at, shardId: e.shardId });
      this.holder.set(e.shardId, id);
      this.lastTakeAt = e.at;
    });
    const count = (r: KinesumerRecord) => {
      const key = `${r.shardId}/${r.sequenceNumber}`;
      this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
    };
    m.consume(['s']).pipe(processRecords(m, count)).subscribe();
    this.members.set(id, m);
  }

  stop(id: string): void {
    void this.members.get(id)?.close();
    this.members.delete(id);
  }

  /** Puts `perSecond(shard)` records a second on every shard (fractions carried over) until `until`. */
  produce(until: number, perSecond: (shard: number) => number): void {
    const shards = this.kinesis.describeShards('s');
    const carry = shards.map(() => 0);
    const tick = () => {
      shards.forEach((shard, i) => {
        carry[i]! += perSecond(i);
        for (; carry[i]! >= 1; carry[i]! -= 1) {
          this.kinesis.putRecord('s', { partitionKey: `k${this.seq}`, data: `record ${this.seq++}`, explicitHashKey: shard.startingHashKey });
        }
      });
      if (this.scheduler.now() + 1000 < until) this.scheduler.schedule(tick, 1000);
    };
    this.scheduler.schedule(tick, 1000);
  }

  end(at: number): void {
    this.at(at, () => [...this.members.keys()].forEach((id) => this.stop(id)));
    this.scheduler.flush();
  }

  duplicates(): number {
    let n = 0;
    for (const count of this.deliveries.values()) n += count - 1;
    return n;
  }

  movesBetween(from: number, to: number): Move[] {
    return this.moves.filter((m) => m.at >= from && m.at < to);
  }
}

interface ChangeRow {
  strategy: AssignmentStrategy;
  scenario: string;
  moved: number;
  minimum: number;
  settleMs: number;
  duplicates: number;
}

const ids = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
const SETTLED = 60_000; // the group has settled by then after a cold start
const CHANGE = SETTLED + 1500; // not on a sync tick

function membershipChange(strategy: AssignmentStrategy, scenario: string, before: number, after: number): ChangeRow {
  const g = new Group(strategy, 12);
  const end = CHANGE + 60_000;
  ids(before).forEach((id) => g.start(id));
  g.produce(end, () => 1);
  g.at(CHANGE, () => (after > before ? ids(after).slice(before).forEach((id) => g.start(id)) : ids(before).slice(after).forEach((id) => g.stop(id))));
  g.at(CHANGE - 1, () => (g.moves.length = 0));
  g.end(end);
  const moved = g.movesBetween(CHANGE, end);
  const minimum = after > before ? Math.floor(12 / after) * (after - before) : Math.ceil(12 / before) * (before - after);
  return { strategy, scenario, moved: moved.length, minimum, settleMs: moved.length ? Math.max(...moved.map((m) => m.at)) - CHANGE : 0, duplicates: g.duplicates() };
}

function rollingRestart(strategy: AssignmentStrategy, staticMembership: boolean): ChangeRow {
  const g = new Group(strategy, 12, staticMembership);
  const every = 20_000;
  const end = CHANGE + 4 * every + 60_000;
  ids(4).forEach((id) => g.start(id));
  g.produce(end, () => 1);
  g.at(CHANGE - 1, () => (g.moves.length = 0));
  let settle = 0;
  ids(4).forEach((id, k) => {
    const at = CHANGE + k * every;
    g.at(at, () => g.stop(id));
    g.at(at + 2000, () => g.start(id));
    // the restart settled when the last take after it happened (its own shards, or moved ones)
    g.at(at + every - 1, () => (settle = Math.max(settle, g.lastTakeAt - at)));
  });
  g.end(end);
  const moved = g.movesBetween(CHANGE, end).length;
  return { strategy, scenario: `rolling restart of 4, stable ids${staticMembership ? ', staticMembership' : ''}`, moved, minimum: 0, settleMs: settle, duplicates: g.duplicates() };
}

function randomChurn(strategy: AssignmentStrategy): ChangeRow {
  const g = new Group(strategy, 200);
  const rnd = random(21);
  const every = 30_000;
  const end = CHANGE + 10 * every + 30_000;
  const running = new Set(ids(20));
  let next = 20;
  [...running].forEach((id) => g.start(id));
  g.produce(end, () => 1);
  g.at(CHANGE - 1, () => (g.moves.length = 0));
  let minimum = 0;
  let settle = 0;
  for (let k = 0; k < 10; k++) {
    const at = CHANGE + k * every;
    g.at(at, () => {
      // joins and leaves with equal odds, the group kept between 10 and 30 members
      const join = running.size <= 10 || (running.size < 30 && rnd() < 0.5);
      if (join) {
        const id = ids(next + 1)[next++]!;
        minimum += Math.floor(200 / (running.size + 1));
        running.add(id);
        g.start(id);
      } else {
        const id = [...running].sort()[Math.floor(rnd() * running.size)]!;
        minimum += [...g.holder.values()].filter((h) => h === id).length;
        running.delete(id);
        g.stop(id);
      }
    });
    g.at(at + every - 1, () => {
      const caused = g.movesBetween(at, at + every);
      if (caused.length > 0) settle = Math.max(settle, Math.max(...caused.map((m) => m.at)) - at);
    });
  }
  g.end(end);
  return { strategy, scenario: '10 random joins/leaves, 20 clients x 200 shards', moved: g.movesBetween(CHANGE, end).length, minimum, settleMs: settle, duplicates: g.duplicates() };
}

interface LoadRow {
  strategy: AssignmentStrategy;
  /** max client load / mean client load at the end, and the worst sample from minute 10 on. */
  ratioEnd: number;
  ratioWorst: number;
  /** As even as the shards allow: max(1, hottest shard / mean client load). */
  bound: number;
  /** Moves from minute 10 to 30, and the most moves of one shard in that window. */
  steadyMoves: number;
  maxMovesOfOneShard: number;
  movesTotal: number;
}

function loadBalance(strategy: AssignmentStrategy): LoadRow {
  const g = new Group(strategy, 64);
  const minutes = 30;
  const end = minutes * 60_000;
  // Zipf: the shard of rank r carries 20 / r^s records a second, s so that the hottest is 20x the median
  const s = Math.log(20) / Math.log(32.5);
  const rnd = random(7);
  const rank = Array.from({ length: 64 }, (_, i) => i).sort(() => rnd() - 0.5);
  const rate = (shard: number) => 20 / (rank[shard]! + 1) ** s;
  const shardIds = g.kinesis.describeShards('s').map((d) => d.shardId);
  const total = shardIds.reduce((sum, _, i) => sum + rate(i), 0);
  const mean = total / 8;
  ids(8).forEach((id) => g.start(id));
  g.produce(end, rate);
  const ratio = () => {
    const loads = new Map(ids(8).map((id) => [id, 0]));
    shardIds.forEach((shard, i) => {
      const h = g.holder.get(shard);
      if (h !== undefined) loads.set(h, loads.get(h)! + rate(i));
    });
    return Math.max(...loads.values()) / mean;
  };
  let worst = 0;
  let last = 0;
  for (let minute = 10; minute <= minutes - 1; minute++) g.at(minute * 60_000, () => ((last = ratio()), (worst = Math.max(worst, last))));
  g.end(end);
  const steady = g.movesBetween(10 * 60_000, end);
  const perShard = new Map<string, number>();
  for (const m of steady) perShard.set(m.shardId, (perShard.get(m.shardId) ?? 0) + 1);
  return {
    strategy,
    ratioEnd: last,
    ratioWorst: worst,
    bound: Math.max(1, rate(rank.indexOf(0)) / mean),
    steadyMoves: steady.length,
    maxMovesOfOneShard: Math.max(0, ...perShard.values()),
    movesTotal: g.moves.length,
  };
}

const started = Date.now();
const changes: ChangeRow[] = [];
for (const strategy of STRATEGIES) {
  changes.push(membershipChange(strategy, '3 -> 4 clients, 12 shards', 3, 4));
  changes.push(membershipChange(strategy, '4 -> 3 clients, 12 shards', 4, 3));
  changes.push(rollingRestart(strategy, false));
  changes.push(rollingRestart(strategy, true));
  changes.push(randomChurn(strategy));
}
const loads = STRATEGIES.map(loadBalance);

const pad = (v: unknown, n: number) => String(v).padEnd(n);
console.log(`\nMoves per change (virtual time; syncInterval ${SYNC} ms, clientTimeout 10000 ms; 1 record/s on every shard)\n`);
console.log('| strategy | change | shards moved (minimum) | settled after (ms) | records delivered twice |');
console.log('|---|---|---|---|---|');
for (const r of changes) console.log(`| ${pad(r.strategy, 9)} | ${r.scenario} | ${r.moved} (${r.minimum}) | ${r.settleMs} | ${r.duplicates} |`);
console.log('\nLoad balance: 8 clients, 64 shards, Zipf throughput (hottest 20x the median), 30 virtual minutes\n');
console.log('| strategy | max/mean load at 30 min | worst from min 10 | as even as shards allow | moves min 10-30 | most moves of one shard | moves in all |');
console.log('|---|---|---|---|---|---|---|');
for (const r of loads) {
  console.log(`| ${pad(r.strategy, 9)} | ${r.ratioEnd.toFixed(2)} | ${r.ratioWorst.toFixed(2)} | ${r.bound.toFixed(2)} | ${r.steadyMoves} | ${r.maxMovesOfOneShard} | ${r.movesTotal} |`);
}
console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s of wall time)`);
mkdirSync('.bench', { recursive: true });
writeFileSync('.bench/balancing.json', JSON.stringify({ changes, loads }, null, 2));
