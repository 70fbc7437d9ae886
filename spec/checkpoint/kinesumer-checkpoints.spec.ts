/**
 * What a consumer leaves for kinesumer (Go) when it closes, on the memory store: every shard state
 * it leaves has a checkpoint kinesumer can resume after without losing a record (judged by
 * kinesumer's rules: spec/helpers/kinesumer-rules.ts), and the consumer itself resumes exactly
 * from what it left. The same on DynamoDB items: spec/state-store/dynamodb/kinesumer-items.spec.ts
 * and spec/integration/kinesumer-handoff.spec.ts.
 */
import test from 'ava';
import type { _Record } from '@aws-sdk/client-kinesis';
import { filter, lastValueFrom, from, type SchedulerLike } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import type { KinesumerRecord } from '../../src/record.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { ShardState } from '../../src/state-store/state-store.js';
import { FakeKinesis, makeRecords, openShards } from '../helpers/fake-kinesis.js';
import { skippedByKinesumer, type KinesumerStart, type ShardRecord } from '../helpers/kinesumer-rules.js';
import { aggregateRecords } from '../helpers/kpl.js';
import { testScheduler } from '../helpers/marbles.js';

const S = (i: number) => `shardId-${String(i).padStart(12, '0')}`;
/** Shard i's starting sequence number: below its records' (see makeRecords). */
const START = (i: number) => `4959${String(i).padStart(4, '0')}${'0'.repeat(20)}`;

function consumer(scheduler: SchedulerLike, store: MemoryStateStore, kinesis: FakeKinesis): Kinesumer {
  return createKinesumer({ app: 'app', clientId: 'only', kinesis, stateStore: store, initialPosition: 'TRIM_HORIZON', scheduler });
}

/** An aggregate of `users` user records, as Kinesis would deliver it at record `n` of shard `shard`. */
async function aggregate(shard: number, n: number, users: number): Promise<_Record> {
  const [data] = await aggregateRecords(Array.from({ length: users }, (_, i) => ({ partitionKey: `k${i}`, data: `s${shard}-r${n}-u${i}` })));
  return { ...makeRecords(shard, n, 1)[0]!, Data: data };
}

/** kinesumer's start from the memory store: a state is an item; its checkpoint is what getCheckpoints (kinesumer's read) gives, or "". */
async function kinesumerStart(store: MemoryStateStore, shardId: string): Promise<KinesumerStart> {
  const state = store.snapshot().states['app']?.['s']?.find((s) => s.shardId === shardId);
  if (state === undefined) return { type: 'LATEST' };
  const [cp] = await lastValueFrom(from(store.getCheckpoints('app', 's', [shardId])));
  return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: cp?.sequenceNumber ?? '' };
}

test('closed inside aggregates and with an idle shard: kinesumer resumes every shard without a loss, and so does the consumer, exactly', async (t) => {
  // given: shard 0 has 3 plain records then an aggregate; shard 1 has none; shard 2 starts with an aggregate
  const agg0 = await aggregate(0, 4, 10);
  const agg2 = await aggregate(2, 1, 10);
  const records: Record<string, _Record[]> = { [S(0)]: [...makeRecords(0, 1, 3), agg0], [S(1)]: [], [S(2)]: [agg2] };
  const shards = openShards(3).map((s, i) => ({ ...s, startingSequenceNumber: START(i) }));
  // the consumer processes user records up to 3 of shard 0's aggregate and up to 2 of shard 2's
  const processedUpTo: Record<string, number> = { [S(0)]: 3, [S(2)]: 2 };
  const processed = (r: KinesumerRecord) => r.subSequenceNumber === undefined || r.subSequenceNumber <= processedUpTo[r.shardId]!;

  const store = new MemoryStateStore();
  const first = testScheduler(t);
  first.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => first.now(), { s: shards });
    for (const [shardId, page] of Object.entries(records)) if (page.length > 0) kinesis.queue('s', shardId, page);
    const c = consumer(first, store, kinesis);
    c.consume(['s']).pipe(filter(processed), checkpoint(c)).subscribe();
    first.schedule(() => void c.close(), 3000);
  });

  // then the consumer's positions are inside the aggregates, with kinesumer's checkpoint before each
  const states = new Map((store.snapshot().states['app']?.['s'] ?? []).map((s): [string, ShardState] => [s.shardId, s]));
  t.like(states.get(S(0)), { sequenceNumber: agg0.SequenceNumber, subSequenceNumber: 3, precedingSequenceNumber: records[S(0)]![2]!.SequenceNumber });
  t.like(states.get(S(1)), { sequenceNumber: START(1) });
  t.like(states.get(S(2)), { sequenceNumber: agg2.SequenceNumber, subSequenceNumber: 2, precedingSequenceNumber: START(2) });

  // and kinesumer, resuming from these (with a record written to each shard meanwhile), loses nothing
  const later = (i: number): ShardRecord => ({ sequenceNumber: makeRecords(i, 9, 1)[0]!.SequenceNumber!, users: 1 });
  const shape = (page: _Record[], i: number): ShardRecord[] => [...page.map((r) => ({ sequenceNumber: r.SequenceNumber!, users: r === agg0 || r === agg2 ? 10 : 1 })), later(i)];
  const position = (state: ShardState | undefined) => (state?.sequenceNumber === undefined ? undefined : { sequenceNumber: state.sequenceNumber, ...(state.subSequenceNumber !== undefined && { subSequenceNumber: state.subSequenceNumber }) });
  for (const [i, shardId] of [S(0), S(1), S(2)].entries()) {
    const start = await kinesumerStart(store, shardId);
    // (the idle shard's position is its start: nothing of it was processed)
    const done = shardId === S(1) ? undefined : position(states.get(shardId));
    t.deepEqual(skippedByKinesumer(start, shape(records[shardId]!, i), done), [], `${shardId}: ${JSON.stringify(start)}`);
  }

  // and the consumer itself, restarted on the same store, reads each aggregate again from its own
  // attributes (the fake serves what Kinesis would from there) and resumes at the next user record
  const again: string[] = [];
  const second = testScheduler(t);
  let starts: unknown[] = [];
  second.run((helpers) => {
    const kinesis = new FakeKinesis(helpers, () => second.now(), { s: shards });
    kinesis.queue('s', S(0), [agg0]);
    kinesis.queue('s', S(2), [agg2]);
    const c = consumer(second, store, kinesis);
    c.consume(['s']).subscribe((r) => again.push(new TextDecoder().decode(r.data)));
    second.schedule(() => void c.close(), 3000);
    second.schedule(() => (starts = kinesis.calls.filter((call) => call.op === 'getShardIterator').map((call) => [call.shardId, call.position])), 2999);
  });
  t.deepEqual(starts, [
    [S(0), { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: agg0.SequenceNumber }],
    [S(1), { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: START(1) }],
    [S(2), { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: agg2.SequenceNumber }],
  ]);
  t.deepEqual(again.filter((text) => text.startsWith('s0')), ['s0-r4-u4', 's0-r4-u5', 's0-r4-u6', 's0-r4-u7', 's0-r4-u8', 's0-r4-u9']);
  t.deepEqual(again.filter((text) => text.startsWith('s2')), ['s2-r1-u3', 's2-r1-u4', 's2-r1-u5', 's2-r1-u6', 's2-r1-u7', 's2-r1-u8', 's2-r1-u9']);
});
