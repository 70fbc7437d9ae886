/**
 * Crashes of real member processes (spec/faults/crash-member.ts) against kinesis-local and
 * dynalite:
 *
 * - SIGKILL with uncommitted marks (commits every 2 s): the survivor takes the shards over after
 *   `clientTimeout`; nothing is lost, and what is delivered again is only what came after the
 *   dead member's last applied checkpoint: nothing behind a checkpoint comes twice.
 * - A crash between a checkpoint write and the release of a shard, during a handoff: the member
 *   writes its final checkpoint of a shard it hands over, then dies before releasing it. The new
 *   owner takes it once the dead member's heartbeat is `clientTimeout` old and resumes right after
 *   that checkpoint: nothing lost, nothing of that shard delivered twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import anyTest, { type TestFn } from 'ava';
import { createStream } from '../helpers/aws-fixtures.js';
import { CrashMember } from './crash-process.js';
import {
  TABLE,
  compareSeq,
  deliveryReport,
  directClients,
  sleep,
  startProducer,
  waitUntil,
  withEmulators,
  type Emulators,
} from './fixtures.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

const TIMINGS = { syncInterval: 500, clientTimeout: 2000 };

function memberEnv(t: { context: Emulators }, app: string, stream: string, commitInterval: number): Record<string, string> {
  return {
    MEMBER_APP: app,
    MEMBER_STREAM: stream,
    MEMBER_TABLE: TABLE,
    KINESIS_ENDPOINT: t.context.kinesis.endpoint,
    DYNAMODB_ENDPOINT: t.context.dynamo.endpoint,
    MEMBER_SYNC_INTERVAL: String(TIMINGS.syncInterval),
    MEMBER_CLIENT_TIMEOUT: String(TIMINGS.clientTimeout),
    MEMBER_COMMIT_INTERVAL: String(commitInterval),
  };
}

/** Deliveries of every member, in time order. */
const allDeliveries = (members: CrashMember[]) => members.flatMap((m) => m.deliveries()).sort((a, b) => a.t - b.t);

/**
 * Records delivered again by someone else that were at or behind `member`'s last applied
 * checkpoint of their shard: nothing behind a checkpoint may come twice.
 */
function behindCheckpoint(member: CrashMember, others: CrashMember[]): string[] {
  const committed = member.committed();
  const mine = new Set(member.deliveries().map((d) => d.data));
  return others
    .flatMap((o) => o.deliveries())
    .filter((d) => mine.has(d.data) && committed.has(d.shard) && compareSeq(d.seq, committed.get(d.shard)!) <= 0)
    .map((d) => `${d.shard}@${d.seq}`);
}

test('a member SIGKILLed with uncommitted marks: nothing lost, only what came after its last checkpoint is delivered again', async (t) => {
  const { kinesis } = directClients(t.context);
  const stream = `kill-${Date.now().toString(36)}`;
  await createStream(kinesis, stream, 4);
  const dir = mkdtempSync(join(tmpdir(), 'kinesumer-crash-'));
  const env = memberEnv(t, 'crash-kill', stream, 2000);
  const members = ['m1', 'm2'].map((id) => new CrashMember(id, join(dir, `${id}.jsonl`), env));
  const producer = startProducer(kinesis, stream, { prefix: 'k', keys: 16, perBatch: 20, intervalMs: 100 });
  try {
    // given two members that each read two shards and have committed at least once
    const recentShards = (m: CrashMember, since: number) => new Set(m.deliveries().filter((d) => d.t >= since).map((d) => d.shard));
    await waitUntil(
      () =>
        members.every((m) => {
          const shards = recentShards(m, Date.now() - 1000);
          return shards.size === 2 && [...shards].every((s) => m.committed().has(s));
        }),
      40_000,
      'a 2/2 split with commits',
    );
    // when m2 is killed a moment after a commit, with marks not yet written (commits ride in the
    // heartbeat, every syncInterval: the kill comes half a sync interval after the last one)
    const victim = members[1]!;
    const lastCommitAt = () => Math.max(...victim.lines().filter((l) => l.committed).map((l) => l.t));
    await waitUntil(() => Date.now() - lastCommitAt() > TIMINGS.syncInterval / 2, 5_000, 'uncommitted marks');
    const orphaned = [...recentShards(victim, Date.now() - 1000)];
    const killedAt = Date.now();
    await victim.kill();

    // then m1 delivers from each orphaned shard again
    const takeover = await waitUntil(
      () => orphaned.every((s) => members[0]!.deliveries().some((d) => d.shard === s && d.t > killedAt)),
      20_000,
      'the survivor to read the orphaned shards',
    );
    await sleep(1000);
    await producer.stop();
    await waitUntil(() => deliveryReport(producer.written, allDeliveries(members)).lost.length === 0, 20_000, 'every record');
    const report = deliveryReport(producer.written, allDeliveries(members));
    const uncommitted = victim
      .deliveries()
      .filter((d) => compareSeq(d.seq, victim.committed().get(d.shard) ?? '0') > 0).length;
    t.log(
      `SIGKILL of 1 of 2 members: orphaned shards delivered again ${takeover} ms after the kill (clientTimeout ` +
        `${TIMINGS.clientTimeout}); ${report.written} records, ${report.lost.length} lost, ${report.duplicates} duplicates ` +
        `(${uncommitted} delivered to the victim after its last checkpoint)`,
    );
    t.deepEqual(report.lost, []);
    t.deepEqual(report.orderViolations, []);
    t.deepEqual(behindCheckpoint(victim, [members[0]!]), [], 'nothing behind a checkpoint was delivered again');
    t.true(report.duplicates <= uncommitted, `${report.duplicates} duplicates, ${uncommitted} uncommitted`);
    t.true(takeover < TIMINGS.clientTimeout + 4 * TIMINGS.syncInterval + 3000, `takeover after ${takeover} ms`);
  } finally {
    await producer.stop();
    await Promise.all(members.map((m) => m.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a crash between the checkpoint write and the release of a handed-over shard: nothing lost, nothing behind it again', async (t) => {
  const { kinesis } = directClients(t.context);
  const stream = `handoff-${Date.now().toString(36)}`;
  await createStream(kinesis, stream, 4);
  const dir = mkdtempSync(join(tmpdir(), 'kinesumer-crash-'));
  // commits only every 30 s: the handoff's own commit is the one that writes the marks
  const env = memberEnv(t, 'crash-handoff', stream, 30_000);
  const first = new CrashMember('h1', join(dir, 'h1.jsonl'), { ...env, MEMBER_CRASH_BEFORE_RELEASE: '1' });
  const members = [first];
  const producer = startProducer(kinesis, stream, { prefix: 'h', keys: 16, perBatch: 20, intervalMs: 100 });
  try {
    // given one member that reads all four shards
    await waitUntil(() => new Set(first.deliveries().map((d) => d.shard)).size === 4, 40_000, 'h1 to read every shard');
    await sleep(1000);

    // when a second member joins, h1 hands two shards over: it commits them, then dies
    const second = new CrashMember('h2', join(dir, 'h2.jsonl'), env);
    members.push(second);
    await waitUntil(() => first.dead, 40_000, 'h1 to crash in the handoff');
    const crash = first.lines().find((l) => l.crash !== undefined)!;
    const handedOver = crash.crash!;
    const finalCheckpoint = first.committed().get(handedOver)!;
    const lastDelivered = first.deliveries().filter((d) => d.shard === handedOver).pop()!;

    // then h2 takes every shard once h1's heartbeat is clientTimeout old
    const takeover = await waitUntil(
      () => [0, 1, 2, 3].every((i) => second.deliveries().some((d) => d.shard === `shardId-00000000000${i}` && d.t > crash.t)),
      20_000,
      'h2 to read every shard',
    );
    await sleep(1000);
    await producer.stop();
    await waitUntil(() => deliveryReport(producer.written, allDeliveries(members)).lost.length === 0, 20_000, 'every record');
    const report = deliveryReport(producer.written, allDeliveries(members));
    const again = second.deliveries().filter((d) => d.shard === handedOver && compareSeq(d.seq, finalCheckpoint) <= 0);
    t.log(
      `crash after the checkpoint write of ${handedOver} and before its release: every shard read again ${takeover} ms ` +
        `after the crash (clientTimeout ${TIMINGS.clientTimeout}); ${report.written} records, ${report.lost.length} lost, ` +
        `${report.duplicates} duplicates, none of them of ${handedOver}`,
    );
    t.deepEqual(report.lost, []);
    t.deepEqual(report.orderViolations, []);
    // the final checkpoint covered everything h1 delivered from that shard (its reader had stopped)
    t.is(finalCheckpoint, lastDelivered.seq);
    // so h2 resumed right after it: nothing of the handed-over shard came twice
    t.deepEqual(again.map((d) => d.seq), []);
    t.deepEqual(behindCheckpoint(first, [second]), []);
    t.true(takeover >= TIMINGS.clientTimeout - 500, `taken after ${takeover} ms, before h1 counted as dead`);
  } finally {
    await producer.stop();
    await Promise.all(members.map((m) => m.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});
