/**
 * Duplicates per group event, with members as processes (spec/faults/crash-member.ts), polling
 * and enhanced fan-out: one run goes through a join, a graceful leave, a SIGKILL followed by a
 * restart under the same id, a split, a merge and a SIGKILL, while a producer writes about 200 records a
 * second. Every repeated delivery is counted in the window of the event it followed, with how far
 * back its first delivery reaches:
 * - join, graceful leave, split, merge (every shard that moves is handed over gracefully): none;
 * - SIGKILL and restart under the same id: at most the records delivered in the last commit
 *   period before the kill (the restarted member resumes after the marks its previous run
 *   committed in its heartbeats, not after its older items, and frees the shards it no longer
 *   gets);
 * - SIGKILL of a member that stays dead (the survivor takes its shards after `clientTimeout`,
 *   after its heartbeat marks): the same bound.
 * It also reports how long the graceful leave's handoff took (the shards of the leaving member
 * delivered again by another).
 *
 * Short timings: `syncInterval` 1000, `clientTimeout` 3000, `commit.interval` 500.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListShardsCommand, MergeShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import anyTest, { type TestFn } from 'ava';
import { createStream, waitUntilActive } from '../helpers/aws-fixtures.js';
import { CrashMember } from './crash-process.js';
import {
  TABLE,
  deliveryReport,
  directClients,
  duplicateReport,
  sleep,
  startProducer,
  waitUntil,
  withEmulators,
  type Delivery,
  type Emulators,
} from './fixtures.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

const TIMINGS = { syncInterval: 1000, clientTimeout: 3000, commitInterval: 500 };
/** How far before a SIGKILL a repeated record's first delivery may lie: two commit periods and 500 ms for a loaded machine. */
const REACH_MS = 2 * TIMINGS.commitInterval + 500;

async function openShards(kinesis: KinesisClient, stream: string) {
  const out = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  return (out.Shards ?? []).filter((s) => s.SequenceNumberRange?.EndingSequenceNumber == null);
}

for (const mode of ['polling', 'efo'] as const) {
  test.serial(`${mode}: join, graceful leave, SIGKILL and restart under the same id, split, merge, SIGKILL: duplicates within each event's bound`, async (t) => {
    const { kinesis } = directClients(t.context);
    const stream = `dups-${mode}-${Date.now().toString(36)}`;
    await createStream(kinesis, stream, 4);
    const dir = mkdtempSync(join(tmpdir(), 'kinesumer-dups-'));
    const env = {
      MEMBER_APP: `dups-${mode}-${Date.now().toString(36)}`,
      MEMBER_STREAM: stream,
      MEMBER_TABLE: TABLE,
      KINESIS_ENDPOINT: t.context.kinesis.endpoint,
      DYNAMODB_ENDPOINT: t.context.dynamo.endpoint,
      MEMBER_SYNC_INTERVAL: String(TIMINGS.syncInterval),
      MEMBER_CLIENT_TIMEOUT: String(TIMINGS.clientTimeout),
      MEMBER_COMMIT_INTERVAL: String(TIMINGS.commitInterval),
      ...(mode === 'efo' && { MEMBER_EFO: '1' }),
    };
    let runs = 0;
    const members: CrashMember[] = [];
    const start = (id: string) => {
      const member = new CrashMember(id, join(dir, `${id}-${runs++}.jsonl`), env);
      members.push(member);
      return member;
    };
    const deliveries = (): Delivery[] => members.flatMap((m) => m.deliveries()).sort((a, b) => a.t - b.t);
    /** The shards each member delivered from in the last second (a member restarted under one id counts once). */
    const recent = () => {
      const since = Date.now() - 1000;
      const out = new Map<string, Set<string>>();
      const live = members.filter((m) => !m.dead).flatMap((m) => m.deliveries());
      for (const d of live) if (d.t >= since) (out.get(d.member) ?? out.set(d.member, new Set()).get(d.member)!).add(d.shard);
      return out;
    };
    /** Every open shard delivered in the last second, by exactly one member. */
    const settled = async (shards: number, members: number) => {
      const open = new Set((await openShards(kinesis, stream)).map((s) => s.ShardId!));
      state = () => `open ${[...open].join(',')}; recent ${JSON.stringify([...recent()].map(([m, s]) => [m, [...s]]))}`;
      return () => {
        const r = recent();
        const all = [...r.values()].flatMap((s) => [...s]);
        return r.size === members && open.size === shards && [...open].every((s) => all.includes(s)) && all.length === new Set(all).size;
      };
    };
    const lastCommitOf = (m: CrashMember) => Math.max(...m.lines().filter((l) => l.committed !== undefined).map((l) => l.t));
    let state = () => '';
    const events: Array<{ name: string; at: number }> = [];
    const producer = startProducer(kinesis, stream, { prefix: mode, keys: 16, perBatch: 20, intervalMs: 100 });
    try {
      // given two members reading two shards each
      start('a');
      start('b');
      await waitUntil(await settled(4, 2), 40_000, 'a 2/2 split');
      await sleep(1000);

      // a third member joins
      events.push({ name: 'join', at: Date.now() });
      const c = start('c');
      await waitUntil(await settled(4, 3), 30_000, 'c to read its share');
      await sleep(1000);

      // it leaves gracefully: the handoff is the time until another member delivers its shards
      const left = [...(recent().get('c') ?? [])];
      events.push({ name: 'graceful leave', at: Date.now() });
      const leftAt = Date.now();
      await c.stop();
      const handoff = await waitUntil(() => left.every((s) => deliveries().some((d) => d.member !== 'c' && d.shard === s && d.t > leftAt)), 30_000, "c's shards read again");
      // where the handoff's time goes: c's release, the take, and the first record after it
      // (with EFO: kinesis-local refuses the new subscription while it still counts c's)
      const phases = left.map((s) => {
        const released = c.lines().find((l) => l.event === 'shardReleased' && l.shard === s && l.t >= leftAt)?.t;
        const taker = members.find((m) => m !== c && m.lines().some((l) => l.event === 'shardAcquired' && l.shard === s && l.t >= leftAt));
        const taken = taker?.lines().find((l) => l.event === 'shardAcquired' && l.shard === s && l.t >= leftAt)?.t;
        const first = deliveries().find((d) => d.member !== 'c' && d.shard === s && d.t > leftAt)?.t;
        const refused = taker?.lines().filter((l) => l.error === 'KINESIS_RESOURCE_IN_USE' && l.message?.includes(s) && l.t >= leftAt) ?? [];
        const lastRefused = refused.length === 0 ? undefined : refused[refused.length - 1]!.t;
        const ms = (from?: number, to?: number) => (from === undefined || to === undefined ? '?' : `${to - from}`);
        return `${s.slice(-2)}: released ${ms(leftAt, released)}, taken ${ms(leftAt, taken)}, refused ${refused.length} times until ${ms(leftAt, lastRefused)}, first record ${ms(leftAt, first)} ms after SIGTERM`;
      });
      await waitUntil(await settled(4, 2), 30_000, 'a 2/2 split again');
      await sleep(1000);

      // b is SIGKILLed half a commit period after a commit, and starts again under its id
      const b = members.find((m) => m.id === 'b')!;
      await waitUntil(() => Date.now() - lastCommitOf(b) > TIMINGS.commitInterval / 2, 5000, 'uncommitted marks');
      events.push({ name: 'SIGKILL and restart', at: Date.now() });
      await b.kill();
      start('b');
      await waitUntil(await settled(4, 2), 30_000, 'the restarted b to read its shards');
      await sleep(1000);

      // a shard is split
      const [first] = await openShards(kinesis, stream);
      const range = first!.HashKeyRange!;
      const middle = (BigInt(range.StartingHashKey!) + BigInt(range.EndingHashKey!)) / 2n;
      events.push({ name: 'split', at: Date.now() });
      await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: first!.ShardId!, NewStartingHashKey: middle.toString() }));
      await waitUntilActive(kinesis, stream);
      await waitUntil(await settled(5, 2), 30_000, 'the children to be read');
      await sleep(1000);

      // two adjacent shards are merged
      const open = (await openShards(kinesis, stream)).sort((x, y) => (BigInt(x.HashKeyRange!.StartingHashKey!) < BigInt(y.HashKeyRange!.StartingHashKey!) ? -1 : 1));
      const last = open.length - 1;
      events.push({ name: 'merge', at: Date.now() });
      await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: open[last - 1]!.ShardId!, AdjacentShardToMerge: open[last]!.ShardId! }));
      await waitUntilActive(kinesis, stream);
      await waitUntil(await settled(4, 2), 30_000, 'the merged child to be read');
      await sleep(1000);

      // a is SIGKILLed: b takes its shards once a's heartbeat is clientTimeout old
      const a = members.find((m) => m.id === 'a')!;
      await waitUntil(() => Date.now() - lastCommitOf(a) > TIMINGS.commitInterval / 2, 5000, 'uncommitted marks');
      events.push({ name: 'SIGKILL', at: Date.now() });
      await a.kill();
      await waitUntil(await settled(4, 1), 30_000, 'b to read every shard');
      await sleep(1000);
      events.push({ name: 'end', at: Date.now() });

      await producer.stop();
      await waitUntil(() => deliveryReport(producer.written, deliveries()).lost.length === 0, 30_000, 'every record');
      const report = deliveryReport(producer.written, deliveries());
      const dups = duplicateReport(deliveries());
      const windows = events.slice(0, -1).map((e, i) => {
        const to = events[i + 1]!.at;
        const reach = dups.reachBack(e.at, to);
        return { ...e, to, count: dups.repeatedIn(e.at, to), reach: reach === undefined ? undefined : e.at - reach, bound: dups.firstIn(e.at - REACH_MS, e.at) };
      });
      t.log(
        `${mode}: ${report.written} records, ${report.lost.length} lost, ${dups.count} duplicates; graceful leave handed over in ${handoff} ms (${phases.join('; ')}); ` +
          windows.map((w) => `${w.name}: ${w.count}${w.reach === undefined ? '' : ` reaching back ${(w.reach / 1000).toFixed(1)} s (${dups.describe(w.at, w.to).join(', ')})`}`).join('; '),
      );

      t.deepEqual(report.lost.slice(0, 10), []);
      t.deepEqual(report.orderViolations.slice(0, 10), []);
      for (const w of windows) {
        if (w.name.startsWith('SIGKILL')) {
          t.true(w.reach === undefined || w.reach <= REACH_MS, `${w.name}: a repeat reaches back ${w.reach} ms`);
          t.true(w.count <= w.bound, `${w.name}: ${w.count} duplicates, bound ${w.bound}`);
        } else {
          t.is(w.count, 0, `${w.name}: ${w.count} duplicates`);
        }
      }
    } catch (err) {
      t.log(state());
      const { store } = directClients(t.context);
      t.log(JSON.stringify(await store.listShardStates(env.MEMBER_APP, stream)));
      t.log(JSON.stringify(await store.listClients(env.MEMBER_APP)));
      for (const m of members) t.log(m.id, JSON.stringify(m.lines().filter((l) => l.data === undefined && l.committed === undefined)));
      throw err;
    } finally {
      await producer.stop();
      await Promise.all(members.map((m) => m.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
