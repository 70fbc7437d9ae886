/**
 * Scale: the group sync of many clients on a stream of many shards.
 *
 * Part 1, virtual time (in-memory store): CLIENTS clients (default 500) on one stream of SHARDS
 * shards (default 10,000), default timings (a round every 5 s, clientTimeout 10 s). Each client is
 * the real group sync (`groupSync`: heartbeat, membership, the leader's cache, follower digests
 * and pages, assignment) with a light taker instead of the full consumer: it takes its assigned
 * shards with the store's conditional `acquireShard` (seen free or not), releases the ones it
 * lost, and finishes a closed shard it holds one round after it saw it closed (the readers and
 * record pipeline are left out: the test kit's FakeKinesis at 10,000 shards x 500 clients is too
 * heavy for one process). Converged: every readable shard held by the one client its assignment
 * gives it, and every client holding exactly its assignment. Times on the virtual clock after a
 * cold start, after 10 % of the clients die (killed, no close), after a split of SPLIT shards.
 *
 * Part 2, real time against dynalite: the same clients with the DynamoDB store, at two sizes
 * with the same shards per client (COST_SIZES, default 50x1000 and 100x2000; at 200x4000 one
 * process and dynalite cannot keep up on a 2-core machine), counting each
 * client's requests (SDK middleware) and consumed units (ReturnConsumedCapacity: TOTAL added to
 * every request by the middleware; dynalite computes them from item sizes) per minute, after a
 * warm-up. Heartbeats carry a checkpoint for every held shard, as auto-commit does.
 *
 *   npm run bench -- scale     (CLIENTS, SHARDS, SPLIT, ASSIGNMENT=sticky, PARTS=virtual,cost,
 *                               COST_SIZES="50x1000,100x2000", COST_SECONDS=60, COST_WARMUP=30)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EMPTY, Subject, from, last, of, type Observable, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';
import { VirtualTimeScheduler, VirtualAction, asyncScheduler } from 'rxjs';
import type { AssignmentStrategy } from '../src/group/assign-stream.js';
import { groupSync, type GroupView } from '../src/group/group-sync.js';
import { readableShards } from '../src/group/shard-lineage.js';
import { snapshotDigest } from '../src/group/snapshot-digest.js';
import type { KinesisApi, ShardDescription } from '../src/kinesis/kinesis-api.js';
import { DynamoDBStateStore } from '../src/state-store/dynamodb/dynamodb-state-store.js';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { MemoryStateStore } from '../src/state-store/memory-state-store.js';
import type { StateStore } from '../src/state-store/state-store.js';
import { localAws, startDynalite } from '../spec/helpers/emulators.js';

const CLIENTS = Number(process.env['CLIENTS'] ?? 500);
const SHARDS = Number(process.env['SHARDS'] ?? 10_000);
const SPLIT = Number(process.env['SPLIT'] ?? 1000);
const COST_SIZES = (process.env['COST_SIZES'] ?? '50x1000,100x2000').split(',').map((s) => s.split('x').map(Number) as [number, number]);
const COST_SECONDS = Number(process.env['COST_SECONDS'] ?? 60);
const SYNC = 5000;
/** The assignment strategy (`ASSIGNMENT`, default the library's default, `'sticky'`). */
const ASSIGNMENT = (process.env['ASSIGNMENT'] ?? 'sticky') as AssignmentStrategy;
const TIMEOUT = 10_000;
const APP = 'scale';
const STREAM = 's';
const id = (n: number) => `shardId-${String(n).padStart(12, '0')}`;
const clientName = (n: number) => `c${String(n).padStart(4, '0')}`;
/** A sequence number as long as Kinesis's (56 digits), later for a larger `n`. */
/** Checkpoints come after every shard's start (a checkpoint before it would be another shard's: stale). */
const CHECKPOINTS = 9_000_000;
const sequenceNumber = (n: number) => `4959033827149025660855969253836157109592157598913${String(n).padStart(7, '0')}`;

/** A Kinesis seam for the group sync: ListShards from a list that can change. */
function kinesisOf(list: () => ShardDescription[]): KinesisApi {
  const unused = () => EMPTY;
  return { listShards: () => of(list().map((s) => ({ ...s }))), getShardIterator: unused, getRecords: unused } as unknown as KinesisApi;
}

function openList(count: number): ShardDescription[] {
  return Array.from({ length: count }, (_, i) => ({ shardId: id(i), closed: false, parentShardId: undefined, adjacentParentShardId: undefined, startingSequenceNumber: sequenceNumber(i) }));
}

/** One client: the real group sync and a light taker; `held` is what it holds. */
interface Member {
  name: string;
  held: Set<string>;
  view: GroupView | undefined;
  stop(): void;
}

/**
 * Runs one store call and hands its answer to `done`. With the in-memory store that happens at
 * once, inside the virtual time of the round (a Promise would run after the scheduler's flush).
 */
function call<T>(input: ObservableInput<T>, done: (value: T) => void = () => undefined): void {
  from(input).pipe(last(undefined, undefined as T)).subscribe({ next: done, error: () => undefined });
}

function member(name: string, store: StateStore, kinesis: KinesisApi, scheduler: SchedulerLike): Member {
  const held = new Set<string>();
  const taking = new Set<string>();
  const seqs = new Map<string, string>();
  const triggers = new Subject<void>();
  const finishing = new Set<string>();
  let triggered = false;
  let beats = 0;
  const m: Member = { name, held, view: undefined, stop: () => subscription.unsubscribe() };
  const beat = (digests: Record<string, string> | undefined): Observable<unknown> => {
    beats++;
    const checkpoints: Record<string, { sequenceNumber: string }> = {};
    for (const shard of held) checkpoints[shard] = { sequenceNumber: sequenceNumber(CHECKPOINTS + beats) };
    const heartbeat = { checkpoints: { [STREAM]: checkpoints }, ...(digests === undefined ? {} : { digests }) };
    // every 12th beat (a minute), the checkpoint items too (commit.itemInterval), fenced
    if (beats % 12 === 0) for (const shard of held) commitItem(shard);
    return from(store.heartbeat!(APP, name, new Date(scheduler.now()), heartbeat));
  };
  const commitItem = (shard: string) => {
    const previous = seqs.get(shard);
    const next = sequenceNumber(CHECKPOINTS + beats);
    const commit = { clientId: name, sequenceNumber: next, previous, finished: false, now: new Date(scheduler.now()) };
    call(store.commitShard(APP, STREAM, shard, commit), (ok) => ok && seqs.set(shard, next));
  };
  const onView = (view: GroupView) => {
    m.view = view;
    const mine = new Set(view.assignment[STREAM] ?? []);
    const snapshot = view.streams[STREAM];
    for (const shard of [...held]) {
      if (mine.has(shard)) continue;
      held.delete(shard);
      call(store.releaseShard(APP, STREAM, shard, name));
    }
    for (const shard of mine) {
      if (held.has(shard) || taking.has(shard)) continue;
      const state = snapshot?.states.get(shard);
      const request = { clientId: name, aliveSince: new Date(scheduler.now() - TIMEOUT), shardStart: undefined, now: new Date(scheduler.now()), seenFree: state?.owner === undefined };
      taking.add(shard);
      call(store.acquireShard(APP, STREAM, shard, request), (got) => {
        taking.delete(shard);
        if (got === undefined || got === null) return;
        held.add(shard);
        if (got.sequenceNumber !== undefined) seqs.set(shard, got.sequenceNumber);
        else seqs.delete(shard);
      });
    }
    // a closed shard it holds is read to its end a poll (1 s) later, then finished; the
    // consumer then makes a round at once (one for all the shards finished together)
    for (const shard of snapshot?.shards ?? []) {
      if (!shard.closed || !held.has(shard.id) || finishing.has(shard.id)) continue;
      finishing.add(shard.id);
      scheduler.schedule(() => {
        finishing.delete(shard.id);
        if (!held.has(shard.id)) return;
        const commit = { clientId: name, sequenceNumber: undefined, previous: seqs.get(shard.id), finished: true, now: new Date(scheduler.now()) };
        call(store.commitShard(APP, STREAM, shard.id, commit), (ok) => {
          if (!ok) return;
          held.delete(shard.id);
          if (!triggered) scheduler.schedule(() => ((triggered = false), triggers.next()));
          triggered = true;
        });
      }, 1000);
    }
  };
  const subscription: Subscription = groupSync({
    app: APP,
    clientId: name,
    store,
    kinesis,
    scheduler,
    syncInterval: SYNC,
    clientTimeout: TIMEOUT,
    streams: () => [STREAM],
    report: () => undefined,
    initialLatest: false,
    assignment: ASSIGNMENT,
    triggers,
    beat,
  }).subscribe(onView);
  return m;
}

/** Whether the group converged: every readable shard held once, by the client assigned it, and each client holds its assignment. */
function converged(members: readonly Member[], list: readonly ShardDescription[], expected: number): boolean {
  if (members.length !== expected) return false;
  const leader = members.find((m) => m.view?.leader);
  const snapshot = leader?.view?.streams[STREAM];
  if (snapshot === undefined || snapshot.shards.length !== list.length) return false;
  const readable = readableShards(snapshot, false);
  // a split has settled when every closed parent was read to its end (its children then read)
  const closed = new Set(snapshot.shards.filter((s) => s.closed).map((s) => s.id));
  if (readable.some((s) => closed.has(s))) return false;
  const owners = new Map<string, number>();
  for (const m of members) {
    const assigned = m.view?.assignment[STREAM] ?? [];
    if (assigned.length !== m.held.size || assigned.some((s) => !m.held.has(s))) return false;
    for (const s of m.held) owners.set(s, (owners.get(s) ?? 0) + 1);
  }
  return members.length > 0 && readable.length === owners.size && readable.every((s) => owners.get(s) === 1) && members.every((m) => m.view?.clients.length === members.length);
}

/** What keeps a group from converging, for PROGRESS. */
function diagnose(members: readonly Member[], list: readonly ShardDescription[]): string {
  const leader = members.find((m) => m.view?.leader);
  const snapshot = leader?.view?.streams[STREAM];
  if (snapshot === undefined) return 'no leader view';
  const readable = readableShards(snapshot, false);
  const closed = new Set(snapshot.shards.filter((s) => s.closed).map((s) => s.id));
  const held = new Map<string, number>();
  for (const m of members) for (const s of m.held) held.set(s, (held.get(s) ?? 0) + 1);
  const off = members.filter((m) => { const a = m.view?.assignment[STREAM] ?? []; return a.length !== m.held.size || a.some((s) => !m.held.has(s)); });
  const example = off[0];
  const owner = example === undefined ? undefined : members.find((m) => m.name === snapshot.states.get(example.view?.assignment[STREAM]?.[0] ?? '')?.owner);
  const other = owner?.view?.streams[STREAM];
  if (owner !== undefined && other !== undefined) {
    console.error(`owner ${owner.name}: clients ${owner.view?.clients.length} (leader's ${leader?.view?.clients.length}), readable ${readableShards(other, false).length}, digest ${snapshotDigest(other) === snapshotDigest(snapshot) ? 'same' : 'differs'}, at ${owner.view?.at} (leader's ${leader?.view?.at})`);
    const mine = new Set(readableShards(other, false));
    const theirs = readableShards(snapshot, false);
    console.error(`only the leader's: ${theirs.filter((s) => !mine.has(s)).slice(0, 5)}; only the owner's: ${[...mine].filter((s) => !theirs.includes(s)).slice(0, 5)}`);
    const id0 = [...mine].filter((s) => !theirs.includes(s))[0] ?? theirs.filter((s) => !mine.has(s))[0];
    if (id0) console.error(`${id0}: leader state ${JSON.stringify(snapshot.states.get(id0))}, owner state ${JSON.stringify(other.states.get(id0))}; children ${JSON.stringify(snapshot.shards.filter((c) => c.parentShardId === id0).map((c) => [c.id, snapshot.states.get(c.id), other.states.get(c.id)]))}`);
  }
  return `list ${snapshot.shards.length}/${list.length}, readable ${readable.length} (closed ${readable.filter((s) => closed.has(s)).length}), unheld ${readable.filter((s) => !held.has(s)).length}, clients off ${off.length}` +
    (example ? ` e.g. ${example.name} assigned ${JSON.stringify(example.view?.assignment[STREAM]?.slice(0, 3))} held ${JSON.stringify([...example.held].slice(0, 3))} states ${JSON.stringify((example.view?.assignment[STREAM] ?? []).slice(0, 2).map((id) => snapshot.states.get(id)))}` : '');
}

async function virtualRun(): Promise<void> {
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const store = new MemoryStateStore();
  let list = openList(SHARDS);
  const kinesis = kinesisOf(() => list);
  // clients start spread over the first round, as processes started together do
  let members: Member[] = [];
  let expected = CLIENTS;
  for (let i = 0; i < CLIENTS; i++) scheduler.schedule(() => members.push(member(clientName(i), store, kinesis, scheduler)), Math.floor((i * SYNC) / CLIENTS));
  const cpu = process.cpuUsage();
  const started = Date.now();
  // runs virtual time second by second until converged (or `limit` ms); returns the virtual ms taken
  const until = async (from0: number, limit: number): Promise<number | undefined> => {
    for (let t = from0 + 1000; t <= from0 + limit; t += 1000) {
      scheduler.maxFrames = t;
      scheduler.flush();
      if (process.env['PROGRESS'] && t % 5000 === 0) console.error(`virtual ${t / 1000} s, wall ${((Date.now() - started) / 1000).toFixed(0)} s`);
      if (converged(members, list, expected)) return t - from0;
    }
    if (process.env['PROGRESS']) console.error(diagnose(members, list));
    return undefined;
  };
  const rows: string[] = [];
  const coldStart = await until(0, 120_000); // from the first client's start
  rows.push(`cold start                              ${fmt(coldStart)}`);
  let now = scheduler.now();
  // 10 % die: killed, no close (their shards wait for clientTimeout)
  const dead = members.filter((_, i) => i % 10 === 3);
  dead.forEach((m) => m.stop());
  members = members.filter((m) => !dead.includes(m));
  expected = members.length;
  const afterDeath = await until(now, 180_000);
  rows.push(`${dead.length} of ${CLIENTS} clients die                  ${fmt(afterDeath)}`);
  now = scheduler.now();
  // a split of SPLIT shards: each parent closes, two children per parent
  const next = list.map((s) => ({ ...s }));
  for (let i = 0; i < SPLIT; i++) {
    next[i]!.closed = true;
    for (const k of [0, 1]) next.push({ shardId: id(SHARDS + 2 * i + k), closed: false, parentShardId: id(i), adjacentParentShardId: undefined, startingSequenceNumber: sequenceNumber(5_000_000 + 2 * i + k) });
  }
  list = next;
  const afterSplit = await until(now, Number(process.env['SPLIT_LIMIT'] ?? 180) * 1000);
  rows.push(`split of ${SPLIT} shards                    ${fmt(afterSplit)}`);
  const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
  console.log(`\nVirtual time: ${CLIENTS} clients, one stream of ${SHARDS} shards, assignment '${ASSIGNMENT}', in-memory store, syncInterval ${SYNC} ms, clientTimeout ${TIMEOUT} ms\n`);
  console.log('event                                   converged after (virtual time)');
  for (const r of rows) console.log(r);
  console.log(`(wall ${((Date.now() - started) / 1000).toFixed(0)} s, CPU ${(cpuMs / 1000).toFixed(0)} s for the whole run)`);
  members.forEach((m) => m.stop());
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? 'not within the limit' : `${(ms / 1000).toFixed(0)} s`;
}

/** Part 2: one size against dynalite. */
async function costRun(endpoint: string, table: string, clients: number, shards: number): Promise<void> {
  const list = openList(shards);
  const kinesis = kinesisOf(() => list);
  let counting = false;
  const counts = new Map<string, { requests: Map<string, number>; units: Map<string, number>; read: number; write: number }>();
  const members: Member[] = [];
  const app = `${APP}-${clients}x${shards}`;
  for (let i = 0; i < clients; i++) {
    const name = clientName(i);
    const tally = { requests: new Map<string, number>(), units: new Map<string, number>(), read: 0, write: 0 };
    counts.set(name, tally);
    const client = new DynamoDBClient({ ...localAws, endpoint });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        input['ReturnConsumedCapacity'] = 'TOTAL';
        const out = await next(args);
        if (counting) {
          const command = (context.commandName ?? '?').replace('Command', '');
          tally.requests.set(command, (tally.requests.get(command) ?? 0) + 1);
          if (process.env['DEBUG_KEYS'] && name === 'c0003' && command === 'GetItem') console.log(JSON.stringify(input['Key']));
          const consumed = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
          for (const c of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) {
            const units = Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0);
            tally.units.set(command, (tally.units.get(command) ?? 0) + units);
            if (/Get|Query|Scan/.test(command)) tally.read += units;
            else tally.write += units;
          }
        }
        return out;
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const store = new DynamoDBStateStore({ table, client });
    members.push(memberWithApp(app, name, store, kinesis));
  }
  await new Promise((r) => setTimeout(r, Number(process.env['COST_WARMUP'] ?? 30) * 1000));
  counting = true;
  await new Promise((r) => setTimeout(r, COST_SECONDS * 1000));
  counting = false;
  const heldNow = members.map((m) => m.held.size);
  members.forEach((m) => m.stop());
  const perMinute = (n: number) => (n * 60) / COST_SECONDS;
  const leader = members.find((m) => m.view?.leader)?.name;
  const followers = [...counts.entries()].filter(([name]) => name !== leader);
  const median = (f: (t: { requests: Map<string, number>; units: Map<string, number>; read: number; write: number }) => number) => {
    const values = followers.map(([, t]) => f(t)).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? 0;
  };
  const avg = (f: (t: { requests: Map<string, number>; units: Map<string, number>; read: number; write: number }) => number) => followers.reduce((s, [, t]) => s + f(t), 0) / followers.length;
  const kinds = [...new Set([...counts.values()].flatMap((t) => [...t.requests.keys()]))].sort();
  console.log(`\n${clients} clients x ${shards} shards (about ${Math.round(shards / clients)} held each; held now min ${Math.min(...heldNow)} max ${Math.max(...heldNow)}), per client-minute: followers' mean, followers' median (each column apart), units per request (followers), the leader:`);
  console.log(`        ${kinds.map((k) => k.padStart(14)).join('')}      requests   read units  write units`);
  console.log(`follow  ${kinds.map((k) => avg((t) => perMinute(t.requests.get(k) ?? 0)).toFixed(1).padStart(14)).join('')}${avg((t) => perMinute([...t.requests.values()].reduce((a, b) => a + b, 0))).toFixed(1).padStart(14)}${avg((t) => perMinute(t.read)).toFixed(1).padStart(13)}${avg((t) => perMinute(t.write)).toFixed(1).padStart(13)}`);
  console.log(`median  ${kinds.map((k) => median((t) => perMinute(t.requests.get(k) ?? 0)).toFixed(1).padStart(14)).join('')}${median((t) => perMinute([...t.requests.values()].reduce((a, b) => a + b, 0))).toFixed(1).padStart(14)}${median((t) => perMinute(t.read)).toFixed(1).padStart(13)}${median((t) => perMinute(t.write)).toFixed(1).padStart(13)}`);
  console.log(`unit/req${kinds.map((k) => (avg((t) => t.units.get(k) ?? 0) / Math.max(1e-9, avg((t) => t.requests.get(k) ?? 0))).toFixed(2).padStart(14)).join('')}   (followers)`);
  const l = counts.get(leader ?? '');
  if (l !== undefined) {
    console.log(`leader  ${kinds.map((k) => perMinute(l.requests.get(k) ?? 0).toFixed(1).padStart(14)).join('')}${perMinute([...l.requests.values()].reduce((a, b) => a + b, 0)).toFixed(1).padStart(14)}${perMinute(l.read).toFixed(1).padStart(13)}${perMinute(l.write).toFixed(1).padStart(13)}`);
  }
}

function memberWithApp(app: string, name: string, store: StateStore, kinesis: KinesisApi): Member {
  // the same member, under its own app name, so that the sizes share one table without meeting
  const scoped = new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args[0] === APP ? [app, ...args.slice(1)] : args);
    },
  });
  return member(name, scoped, kinesis, asyncScheduler);
}

const parts = (process.env['PARTS'] ?? 'virtual,cost').split(',');
if (parts.includes('virtual')) await virtualRun();
if (parts.includes('cost')) {
  const dynalite = await startDynalite();
  try {
    const client = new DynamoDBClient({ ...localAws, endpoint: dynalite.endpoint });
    await createStateTable(client, 'scale-state');
    for (const [clients, shards] of COST_SIZES) await costRun(dynalite.endpoint, 'scale-state', clients, shards);
    client.destroy();
  } finally {
    await dynalite.stop();
  }
}
