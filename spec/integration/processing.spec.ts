/**
 * The processing operators against real kinesis-local and dynalite, with members as child
 * processes (spec/helpers/processing-member.ts) that log every handler start and end, every
 * checkpoint that landed, and their errors and events, synchronously to a file:
 *
 * - processRecords() with concurrency 32 through a SIGKILL, a split and a graceful leave;
 * - a poison record going to a real dead-letter stream while other keys move on;
 * - a plain pipeline that throws: reported, committed, left; the retry() recipe rejoins;
 * - close() under load, with checkpoint() and with processRecords().
 */
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { DeadLetterEnvelope } from '../../src/index.js';
import { createStream, waitUntilActive } from '../helpers/aws-fixtures.js';
import { ProcessingMember, type MemberLine, type MemberSettings } from '../helpers/processing-fleet.js';
import {
  TABLE,
  compareSeq,
  directClients,
  sleep,
  startProducer,
  waitUntil,
  withEmulators,
  type Emulators,
  type Written,
} from '../faults/fixtures.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

const TIMINGS = { SYNC_INTERVAL: 500, CLIENT_TIMEOUT: 2000, COMMIT_INTERVAL: 500, IDLE_INTERVAL: 200 };

let apps = 0;
/** A fresh stream and app name for one test. */
async function freshStream(t: ExecutionContext<Emulators>, name: string, shards: number) {
  apps += 1;
  const stream = `${name}-${process.pid}-${apps}`;
  const { kinesis, store } = directClients(t.context);
  await createStream(kinesis, stream, shards);
  const base = { app: `${name}-app-${apps}`, stream, table: TABLE, kinesisEndpoint: t.context.kinesis.endpoint, dynamoEndpoint: t.context.dynamo.endpoint };
  return { stream, kinesis, store, base };
}

/** Every line of kind `ev` of every member, with the member's id, in time order (a member's own lines keep their file order). */
function merged(members: readonly ProcessingMember[], ev: MemberLine['ev']): Array<MemberLine & { member: string }> {
  const all = members.flatMap((m) => m.of(ev).map((line, i) => ({ ...line, member: m.id, i })));
  return all.sort((a, b) => a.t - b.t || (a.member === b.member ? a.i - b.i : 0));
}

/**
 * The order check. The producer writes each partition key's records in a known order (the
 * counter in the payload, `p#n`; Kinesis keeps that order within a shard, and after a split the
 * parent's records come before the children's). A record is *delivered* when its handler starts.
 * Per key, take each record's first delivery only (a record delivered again after a crash is the
 * same record), in time order, across every member: those must come in the producer's order,
 * with no record of the key skipped. A violation is a record whose first delivery came before
 * that of an earlier record of its key.
 */
function orderViolations(written: readonly Written[], starts: ReadonlyArray<MemberLine>): string[] {
  const rank = new Map<string, number>();
  const perKey = new Map<string, number>();
  for (const w of written) {
    const r = perKey.get(w.key) ?? 0;
    rank.set(w.data, r);
    perKey.set(w.key, r + 1);
  }
  const next = new Map<string, number>();
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of starts) {
    if (seen.has(s.data!) || !rank.has(s.data!)) continue;
    seen.add(s.data!);
    const expected = next.get(s.key!) ?? 0;
    const r = rank.get(s.data!)!;
    if (r !== expected) out.push(`${s.key}: ${s.data} (its #${r}) first delivered when #${expected} was due`);
    next.set(s.key!, Math.max(expected, r + 1));
  }
  return out;
}

/** The most records one member ran at the same time. */
function peakConcurrency(member: ProcessingMember): number {
  let running = 0;
  let peak = 0;
  for (const line of member.lines()) {
    if (line.ev === 'start') peak = Math.max(peak, ++running);
    else if (line.ev === 'end') running -= 1;
  }
  return peak;
}

/** Within one member, two records of one key never run at the same time: each start comes after the previous start's end. */
function overlaps(member: ProcessingMember): string[] {
  const running = new Map<string, string>();
  const out: string[] = [];
  for (const line of member.lines()) {
    if (line.ev === 'start') {
      const other = running.get(line.key!);
      if (other !== undefined) out.push(`${member.id}: ${line.data} started while ${other} ran`);
      running.set(line.key!, line.data!);
    } else if (line.ev === 'end' && running.get(line.key!) === line.data) running.delete(line.key!);
  }
  return out;
}

/** Writes `records` in this order (PutRecords keeps it per shard); returns where each went. */
async function put(kinesis: KinesisClient, stream: string, records: ReadonlyArray<{ data: string; key: string }>): Promise<Written[]> {
  const out: Written[] = [];
  for (let i = 0; i < records.length; i += 500) {
    const batch = records.slice(i, i + 500);
    const answer = await kinesis.send(
      new PutRecordsCommand({ StreamName: stream, Records: batch.map((r) => ({ Data: new TextEncoder().encode(r.data), PartitionKey: r.key })) }),
    );
    if (answer.FailedRecordCount) throw new Error(`${answer.FailedRecordCount} records failed to put`);
    answer.Records!.forEach((r, j) => out.push({ ...batch[j]!, shard: r.ShardId!, seq: r.SequenceNumber! }));
  }
  return out;
}

/** `count` records `${prefix}#n`, round-robin over `keys` partition keys. */
const numbered = (prefix: string, count: number, keys: number, from = 0) =>
  Array.from({ length: count }, (_, i) => ({ data: `${prefix}#${from + i}`, key: `${prefix}-key${(from + i) % keys}` }));

/** Every record of a one-shard stream, read from TRIM_HORIZON until `count` arrived (or 10 s passed). */
async function readAll(kinesis: KinesisClient, stream: string, count: number): Promise<Uint8Array[]> {
  const { ShardIterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
  let iterator = ShardIterator;
  const out: Uint8Array[] = [];
  const deadline = Date.now() + 10_000;
  while (iterator && out.length < count && Date.now() < deadline) {
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
    out.push(...(page.Records ?? []).map((r) => r.Data!));
    iterator = page.NextShardIterator;
    if ((page.Records ?? []).length === 0) await sleep(200);
  }
  return out;
}

/** Resolves when the async `predicate` holds, polling every 100 ms; rejects after `timeoutMs`. */
async function until(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The payloads `member` finished, as a set. */
const ended = (...members: ProcessingMember[]) => new Set(members.flatMap((m) => m.of('end').map((e) => e.data!)));

/** Records `member` started more than once, or that more than one of `members` started. */
function startedTwice(members: readonly ProcessingMember[]): string[] {
  const count = new Map<string, number>();
  for (const m of members) for (const s of m.of('start')) count.set(s.data!, (count.get(s.data!) ?? 0) + 1);
  return [...count].filter(([, n]) => n > 1).map(([d]) => d);
}

const unique = (xs: readonly string[]) => new Set(xs).size;

test.serial('processRecords with concurrency 32 through a SIGKILL, a split and a graceful leave: nothing lost, per-key order kept, repeats only after the killed member\'s last checkpoint', async (t) => {
  t.timeout(240_000); // three members and a reshard: slow on a loaded machine
  const { stream, kinesis, base } = await freshStream(t, 'conc', 4);
  // 1 record in 20 takes longer than a commit period: the checkpoint must wait for it. A shard
  // that leaves lets the records before its last done one finish (up to commit.timeout): with
  // chains of slow records behind one key that can take seconds, so the timeout is generous.
  const settings: MemberSettings = { ...TIMINGS, COMMIT_TIMEOUT: 5000, CONCURRENCY: 32, HANDLER_MS: '2-25', SLOW: '0.05:600' };
  const members = ['m1', 'm2', 'm3'].map((id) => new ProcessingMember(id, base, settings));
  const [m1, m2, m3] = members as [ProcessingMember, ProcessingMember, ProcessingMember];
  const producer = startProducer(kinesis, stream, { prefix: 'c', keys: 40, perBatch: 80, intervalMs: 400 });
  const deliveredBy = (m: ProcessingMember, shard: string, since: number) => m.of('start').some((s) => s.shard === shard && s.t > since);
  try {
    // given three members sharing the four shards
    // (each one processing every shard it owns, and having committed)
    const settled = () => {
      const since = Date.now() - 1000;
      const committed = (m: ProcessingMember, s: string) => m.of('committed').some((c) => c.shard === s && c.t > since);
      const busy = (m: ProcessingMember) => m.shards.length > 0 && m.shards.every((s) => deliveredBy(m, s, since) && committed(m, s));
      return members.every(busy) && unique(members.flatMap((m) => m.shards)) === 4;
    };
    const t0 = Date.now();
    const phases: string[] = [];
    const phase = (name: string) => phases.push(`${name} ${Date.now() - t0}`);
    await waitUntil(settled, 60_000, 'a 2/1/1 split, every member processing');
    phase('settled');
    await sleep(1000);

    // when m2 is SIGKILLed, the others take its shards over after clientTimeout
    const victimShards = m2.shards;
    const killedAt = Date.now();
    await m2.kill();
    await waitUntil(() => victimShards.every((s) => deliveredBy(m1, s, killedAt) || deliveredBy(m3, s, killedAt)), 30_000, "the killed member's shards delivered again");

    phase('taken over');
    // and a shard is split: its parent is processed to its end before its children start
    const open = ((await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []).filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
    const parent = open[0]!;
    const lo = BigInt(parent.HashKeyRange!.StartingHashKey!);
    const hi = BigInt(parent.HashKeyRange!.EndingHashKey!);
    await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent.ShardId, NewStartingHashKey: ((lo + hi) / 2n).toString() }));
    await waitUntilActive(kinesis, stream);
    const children = ((await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? []).filter((s) => s.ParentShardId === parent.ShardId).map((s) => s.ShardId!);
    await waitUntil(() => children.every((c) => deliveredBy(m1, c, 0) || deliveredBy(m3, c, 0)), 30_000, 'the children delivered');

    phase('split');
    // and m3 leaves gracefully: m1 takes its shards without waiting for clientTimeout
    const leaverShards = m3.shards;
    const leftAt = Date.now();
    await m3.stop();
    t.is(m3.exitCode, 0, m3.stderr);
    await waitUntil(() => leaverShards.every((s) => deliveredBy(m1, s, leftAt)), 30_000, "the leaver's shards delivered again");

    phase('left');
    // then, once the producer stops, every record written was processed
    await producer.stop();
    const done = () => new Set(members.flatMap((m) => m.of('end').map((e) => e.data)));
    phase('producer stopped');
    // (a record lost would never be processed: the checks below name it)
    const allDone = () => {
      const d = done();
      return producer.written.every((w) => d.has(w.data));
    };
    await waitUntil(allDone, 20_000, 'every record processed').catch(() => undefined);

    phase('done');
    t.log(`ms since the start: ${phases.join(', ')}`);
    const starts = merged(members, 'start');
    const processed = done();
    const lost = producer.written.filter((w) => !processed.has(w.data)).map((w) => w.data);
    t.deepEqual(lost, [], `${lost.length} records lost`);
    t.deepEqual(orderViolations(producer.written, starts).slice(0, 10), [], 'per-key order of first deliveries');
    t.deepEqual(members.flatMap(overlaps).slice(0, 10), [], 'records of one key never overlap within a member');

    // The bound on repeats. Commits ride in the heartbeat, one every commit period; the member
    // logs each one that landed. A record may be delivered twice only when the killed member had
    // started it after the last checkpoint of its shard that landed before the kill: at most one
    // commit period's worth of work (plus what that checkpoint was held back by a slow record:
    // it covers only the processed prefix). Nothing at or before that checkpoint is repeated, and
    // nothing the split or the graceful leave moved is repeated at all. (That commits land every
    // period is the checkpointer's marble-tested timing; here the age of the last one is logged.)
    const firstBy = new Map<string, MemberLine & { member: string }>();
    const count = new Map<string, number>();
    for (const s of starts) {
      if (!firstBy.has(s.data!)) firstBy.set(s.data!, s);
      count.set(s.data!, (count.get(s.data!) ?? 0) + 1);
    }
    const repeated = [...count].filter(([, n]) => n > 1).map(([d]) => firstBy.get(d)!);
    const lastCommit = new Map<string, MemberLine>();
    for (const c of m2.of('committed')) lastCommit.set(c.shard!, c);
    const notBounded = repeated.filter((r) => {
      const c = lastCommit.get(r.shard!);
      return r.member !== 'm2' || (c !== undefined && compareSeq(r.seq!, c.seq!) <= 0);
    });
    t.deepEqual(notBounded.map((r) => `${r.data} first by ${r.member} on ${r.shard}`).slice(0, 10), [], 'repeated records outside the bound');
    for (const shard of victimShards) t.not(lastCommit.get(shard), undefined, `${shard}: the killed member had committed it`);
    const ages = victimShards.map((shard) => killedAt - lastCommit.get(shard)!.t);
    const spanMs = repeated.length ? killedAt - Math.min(...repeated.map((r) => r.t)) : 0;
    t.log(
      `${producer.written.length} records, 0 lost, ${repeated.length} delivered twice (all started by the killed member within ${spanMs} ms before the kill, after its last checkpoint, which landed ${ages.join(' and ')} ms before the kill; commit period ${TIMINGS.COMMIT_INTERVAL} ms); at most ${Math.max(...members.map(peakConcurrency))} records at once in one member`,
    );
  } finally {
    await producer.stop();
    await Promise.all(members.map((m) => m.dispose()));
  }
});

test.serial('a poison record goes to the dead-letter stream after its attempts, while records of other keys in its shard are processed; its own key waits for it', async (t) => {
  const { stream, kinesis, store, base } = await freshStream(t, 'poison', 1);
  const dlq = `${stream}-dlq`;
  await createStream(kinesis, dlq, 1);
  // given one shard: the poison record first, then 60 records of 6 other keys, then a later record of the poison's key
  const written = await put(kinesis, stream, [{ data: 'bad#0', key: 'bad' }, ...numbered('good', 60, 6), { data: 'bad#1', key: 'bad' }]);
  const poisonSeq = written[0]!.seq;
  // 4 attempts with backoff 400-800 ms: the poison record is retried for at least a second
  const member = new ProcessingMember('p1', base, {
    ...TIMINGS,
    CONCURRENCY: 8,
    HANDLER_MS: 10,
    POISON: 'bad#0',
    ATTEMPTS: 4,
    RETRY_INITIAL: 400,
    RETRY_MAX: 800,
    DEAD_LETTER: dlq,
  });
  try {
    await waitUntil(() => ended(member).size === written.length - 1, 30_000, 'every record but the poison processed');
    await waitUntil(() => member.of('event').some((e) => e.type === 'recordDeadLettered'), 10_000, 'the poison dead-lettered');

    // then the records of other keys were all done while the poison record was still being retried
    const poisonStarts = member.of('start').filter((s) => s.data === 'bad#0');
    t.is(poisonStarts.length, 4, 'the poison record was tried 4 times');
    const lastAttempt = poisonStarts.at(-1)!.t;
    const good = member.of('end').filter((e) => e.key !== 'bad');
    t.is(good.length, 60);
    const lastGood = Math.max(...good.map((e) => e.t));
    t.true(lastGood < lastAttempt, `the last record of another key ended ${lastAttempt - lastGood} ms before the poison's last attempt`);
    // and the later record of the poison's key started only once the poison was dead-lettered
    const deadLettered = member.of('event').find((e) => e.type === 'recordDeadLettered')!.t;
    const later = member.of('start').find((s) => s.data === 'bad#1')!;
    t.true(later.t >= deadLettered, 'bad#1 waits for bad#0 (one key, in order)');
    t.log(
      `60 records of other keys done ${lastGood - poisonStarts[0]!.t} ms after the poison's first attempt; its attempts at +${poisonStarts.map((s) => s.t - poisonStarts[0]!.t).join(', +')} ms; dead-lettered at +${deadLettered - poisonStarts[0]!.t} ms`,
    );
    // and each failure was reported, the last one as final
    t.deepEqual(member.of('error').filter((e) => e.code === 'PROCESSING_FAILED').length, 4);

    // and the dead-letter stream holds the poison record with its origin, the error and the attempts
    const [letter, ...more] = await readAll(kinesis, dlq, 1);
    t.deepEqual(more, []);
    const envelope = JSON.parse(new TextDecoder().decode(letter)) as DeadLetterEnvelope;
    t.like(envelope, { origin: { stream, shardId: 'shardId-000000000000', sequenceNumber: poisonSeq, partitionKey: 'bad' }, attempts: 4 });
    t.regex(envelope.error, /cannot handle bad#0/);
    t.is(Buffer.from(envelope.data, 'base64').toString(), 'bad#0');

    // and, dead-lettered, it counts as processed: the checkpoint covers every record
    await member.stop();
    t.is(member.exitCode, 0, member.stderr);
    const [checkpointed] = await store.getCheckpoints(base.app, stream);
    t.is(checkpointed?.sequenceNumber, written.at(-1)!.seq);
  } finally {
    await member.dispose();
  }
});

test.serial('a plain pipeline that throws is reported on errors$ and in events$, commits what it marked and leaves the group; the retry() recipe joins again', async (t) => {
  const { stream, kinesis, store, base } = await freshStream(t, 'throw', 1);
  const written = await put(kinesis, stream, numbered('t', 30, 5));
  // given concatMap(handle) + checkpoint(), where handle throws on t#10 (once)
  const plain = new ProcessingMember('plain', base, { ...TIMINGS, MODE: 'plain', HANDLER_MS: 5, THROW_ONCE: 't#10' });
  const rejoin = new ProcessingMember('rejoin', { ...base, app: `${base.app}-rejoin` }, { ...TIMINGS, MODE: 'plain', HANDLER_MS: 5, THROW_ONCE: 't#10', REJOIN: 1 });
  // and processRecords() giving up on t#10 after its 2 attempts (it succeeds on the third call)
  const rejoinRecords = new ProcessingMember('rejoin-records', { ...base, app: `${base.app}-rejoin-records` }, {
    ...TIMINGS,
    HANDLER_MS: 5,
    THROW_ONCE: 't#10',
    THROW_TIMES: 2,
    ATTEMPTS: 2,
    REJOIN: 1,
  });
  try {
    // then the failure is reported as a PipelineError and a pipelineFailed event
    await waitUntil(() => plain.of('pipelineError').length > 0, 30_000, 'the pipeline to fail');
    await waitUntil(() => plain.of('error').some((e) => e.code === 'PIPELINE_FAILED') && plain.of('event').some((e) => e.type === 'pipelineFailed'), 10_000, 'the report');
    t.regex(plain.of('error').find((e) => e.code === 'PIPELINE_FAILED')!.message!, /cannot handle t#10/);
    // and the member commits the records before t#10 and leaves: its client item is gone
    await waitUntil(() => plain.of('event').some((e) => e.type === 'shardReleased'), 10_000, 'the shard released');
    const clients = async (app: string) => ((await store.listClients(app)) ?? []).map((c) => c.clientId);
    await until(async () => (await clients(base.app)).length === 0, 10_000, 'the client item gone');
    t.deepEqual(await clients(base.app), []);
    const [checkpointed] = await store.getCheckpoints(base.app, stream);
    t.is(checkpointed?.sequenceNumber, written[9]!.seq, 'committed up to t#9');
    t.is((await store.listShardStates(base.app, stream))[0]?.owner, undefined, 'the shard was released');
    // and it does not crash: it consumes nothing more, and either still runs or ended by itself
    // (nothing left to wait for), without an error
    await sleep(1000);
    t.true(plain.exitCode === null || plain.exitCode === 0, `exit code ${plain.exitCode}`);
    t.notRegex(plain.stderr, /Error/);
    t.false(plain.of('start').some((s) => s.data === 't#11'));

    // with retry({ delay: 1000 }) after checkpoint(), the member joins again a second later and goes on from t#10
    await waitUntil(() => ended(rejoin).size === written.length, 30_000, 'the rejoined member to process everything');
    t.deepEqual(rejoin.of('event').filter((e) => e.type === 'pipelineFailed').length, 1);
    t.deepEqual(startedTwice([rejoin]), ['t#10'], 'only the record that threw is delivered again');
    t.deepEqual(await clients(`${base.app}-rejoin`), ['rejoin'], 'registered again');
    const failedAt = rejoin.of('event').find((e) => e.type === 'pipelineFailed')!.t;
    const again = rejoin.of('start').filter((s) => s.data === 't#10')[1]!.t;
    // the README's form of the recipe: processRecords(...), retry({ delay: 1000 })
    await waitUntil(() => ended(rejoinRecords).size === written.length, 30_000, 'the rejoined processRecords member to process everything');
    t.deepEqual(rejoinRecords.of('event').filter((e) => e.type === 'pipelineFailed').length, 1);
    t.deepEqual(rejoinRecords.of('error').filter((e) => e.code === 'PROCESSING_FAILED').length, 2, 'both attempts reported');
    t.deepEqual(startedTwice([rejoinRecords]), ['t#10'], 'processRecords: only the record that failed is delivered again');
    t.is(rejoinRecords.of('start').filter((s) => s.data === 't#10').length, 3);
    t.log(`the rejoined member started t#10 again ${again - failedAt} ms after the failure`);
  } finally {
    await Promise.all([plain.dispose(), rejoin.dispose(), rejoinRecords.dispose()]);
  }
});

test.serial('close() under load ends without an uncaught error: checkpoint() lets late records pass unmarked, processRecords() drains; the next member loses nothing', async (t) => {
  /**
   * One scenario: 400 records in 2 shards, a member with a 20 ms handler (records buffered far
   * beyond the drain timeout of 1 s), SIGTERM once it is busy (and, with `slowAtClose`, while a
   * record slower than the drain timeout runs); then a second member processes the rest.
   */
  const scenario = async (name: string, settings: MemberSettings, slowAtClose = false) => {
    const { stream, kinesis, store, base } = await freshStream(t, `close-${name}`, 2);
    const written = await put(kinesis, stream, numbered(name, 400, 40));
    const first = new ProcessingMember(`${name}-1`, base, { ...TIMINGS, COMMIT_TIMEOUT: 1000, SCAN_LIMIT: 100, HANDLER_MS: 20, LINGER: 4000, ...settings });
    let second: ProcessingMember | undefined;
    try {
      const slowRunning = () => first.of('start').find((s) => s.ms! > 1000 && !ended(first).has(s.data!))?.data;
      await waitUntil(() => ended(first).size >= 40 && (!slowAtClose || slowRunning() !== undefined), 30_000, `${name}: the first member busy`);
      const slowData = slowRunning();
      const stoppedAt = Date.now();
      await first.stop();
      const closedAt = first.of('closed')[0]?.t;
      second = new ProcessingMember(`${name}-2`, base, { ...TIMINGS });
      await waitUntil(() => written.every((w) => ended(first, second!).has(w.data)), 30_000, `${name}: every record processed`).catch(() => undefined);
      const lastCommitted = new Map<string, string>();
      for (const c of first.of('committed')) lastCommitted.set(c.shard!, c.seq!);
      const repeated = startedTwice([first, second]);
      const lateEnds = first.of('end').filter((e) => closedAt !== undefined && e.t > closedAt).length;
      return { name, first, second, slowData, written, stoppedAt, closedAt, repeated, lateEnds, lastCommitted, store, stream, app: base.app, lost: written.filter((w) => !ended(first, second!).has(w.data)).map((w) => w.data) };
    } finally {
      await Promise.all([first.dispose(), second?.dispose()]);
    }
  };
  const [plain, records, slow] = await Promise.all([
    scenario('plain', { MODE: 'plain', BARE: 1 }),
    scenario('records', { CONCURRENCY: 16 }),
    scenario('slow', { CONCURRENCY: 16, SLOW: '0.05:1500' }, true),
  ]);
  for (const r of [plain, records, slow]) {
    t.is(r.first.exitCode, 0, `${r.name}: exit code (stderr: ${r.first.stderr})`);
    t.notRegex(r.first.stderr, /ClosedError|Uncaught|Error:/, `${r.name}: nothing on stderr`);
    t.not(r.closedAt, undefined, `${r.name}: close() resolved`);
    t.deepEqual(r.lost, [], `${r.name}: nothing lost`);
  }
  // checkpoint(): records kept reaching it after close() finished; they passed unmarked, and
  // exactly the records after the final checkpoint are delivered again
  t.true(plain.lateEnds > 0, 'records reached checkpoint() after close()');
  const afterFinal = (r: typeof plain, data: string) => {
    const w = r.written.find((x) => x.data === data)!;
    const c = r.lastCommitted.get(w.shard);
    return c === undefined || compareSeq(w.seq, c) > 0;
  };
  t.deepEqual(plain.repeated.filter((d) => !afterFinal(plain, d)), [], 'plain: repeats only after the final checkpoint');
  // processRecords(): the records in flight finish within the drain timeout, the rest are not
  // started, and the final checkpoint covers all that was done: nothing is delivered twice
  t.true(records.first.of('pipelineComplete')[0]!.t <= records.closedAt!, 'records: the operator completed before close() resolved');
  t.deepEqual(records.repeated, [], 'records: nothing delivered twice');
  // a record slower than the drain timeout: close() does not wait for it beyond the timeout; its
  // result is dropped (it was not marked), and the next member processes it again
  t.false(ended(slow.first).has(slow.slowData!), 'slow: the first member gave the slow record up');
  t.true(slow.second!.of('start').some((s) => s.data === slow.slowData), 'slow: the next member processed it');
  t.deepEqual(slow.repeated.filter((d) => !afterFinal(slow, d)), [], 'slow: repeats only after the final checkpoint');
  t.log(
    `plain: ${plain.lateEnds} records passed checkpoint() after close(), ${plain.repeated.length} delivered again; processRecords: 0 again; with a record slower than the drain timeout: close() took ${slow.closedAt! - slow.stoppedAt} ms, ${slow.repeated.length} delivered again`,
  );
});
