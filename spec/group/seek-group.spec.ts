/**
 * seekGroup() through its API, on the test kit's FakeKinesis and a memory store in real time: a
 * seek of a stream nobody consumes takes effect when the group starts; what it refuses.
 */
import test from 'ava';
import { asyncScheduler, tap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { UsageError } from '../../src/errors.js';
import { seekGroup } from '../../src/group/seek-group.js';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { StateStore } from '../../src/state-store/state-store.js';
import { FakeKinesis } from '../../src/testing/fake-kinesis.js';
import { waitFor } from '../helpers/aws-fixtures.js';

function stream(): FakeKinesis {
  const kinesis = new FakeKinesis({ scheduler: asyncScheduler });
  kinesis.createStream('s', { shards: 2 });
  return kinesis;
}
const put = (kinesis: FakeKinesis, prefix: string, count: number) =>
  kinesis.putRecords('s', Array.from({ length: count }, (_, i) => ({ partitionKey: `${prefix}-${i}`, data: `${prefix}-${i}` })));

async function consumeUntil(kinesis: FakeKinesis, store: StateStore, app: string, done: (seen: string[]) => boolean): Promise<string[]> {
  const consumer = createKinesumer({ app, kinesis, stateStore: store, initialPosition: 'TRIM_HORIZON', logger: silentLogger, group: { syncInterval: 200, clientTimeout: 1000 }, polling: { idleInterval: 200 } });
  const seen: string[] = [];
  const sub = consumer.consume(['s']).pipe(tap((r) => seen.push(new TextDecoder().decode(r.data))), checkpoint(consumer)).subscribe();
  try {
    await waitFor(() => done(seen), 10_000, 'the records');
    await new Promise((r) => setTimeout(r, 600)); // nothing else may come
  } finally {
    await consumer.close();
    sub.unsubscribe();
  }
  return seen;
}

test('a seek of a stream nobody consumes takes effect when the group starts: from a time, or skipping the backlog', async (t) => {
  const kinesis = stream();
  put(kinesis, 'old', 10);
  await new Promise((r) => setTimeout(r, 20));
  const at = new Date();
  await new Promise((r) => setTimeout(r, 20));
  put(kinesis, 'new', 6);
  const store = new MemoryStateStore();
  const result = await seekGroup({ app: 'later', stateStore: store, kinesis }, 's', at);
  t.deepEqual(result.shards.map((s) => [s.shardId, s.action, s.seek]), [
    ['shardId-000000000000', 'seek', 1],
    ['shardId-000000000001', 'seek', 1],
  ]);
  // the group starts afterwards, with TRIM_HORIZON as its initial position
  const seen = await consumeUntil(kinesis, store, 'later', (s) => s.length >= 6);
  t.deepEqual([...seen].sort(), Array.from({ length: 6 }, (_, i) => `new-${i}`).sort(), 'only what came at or after the time');

  const skipping = new MemoryStateStore();
  await seekGroup({ app: 'skip', stateStore: skipping, kinesis }, 's', 'LATEST');
  const late = await consumeUntil(kinesis, skipping, 'skip', (s) => s.length >= 1 || (put(kinesis, 'after', 1), false));
  t.true(late.length > 0 && late.every((d) => d.startsWith('after')), `the backlog skipped: ${late.join(',')}`);
});

test('seekGroup refuses an unknown shard, a sequence number that is not a record of its shard, and a store that cannot seek', async (t) => {
  const kinesis = stream();
  const [first] = put(kinesis, 'r', 1);
  const store = new MemoryStateStore();
  const group = { app: 'refused', stateStore: store, kinesis };
  const unknown = await t.throwsAsync(seekGroup(group, 's', 'LATEST', { shards: ['shardId-000000000009'] }), { instanceOf: UsageError });
  t.is(unknown!.code, 'UNKNOWN_SHARD');
  t.regex(unknown!.message, /shardId-000000000009 is not a shard of stream "s" \(its shards: shardId-000000000000, shardId-000000000001\)/);
  const other = first!.shardId === 'shardId-000000000000' ? 'shardId-000000000001' : 'shardId-000000000000';
  // Kinesis refuses an iterator at a sequence number of another shard (the fake does not check it)
  kinesis.failNext('getShardIterator', { shardId: other, error: Object.assign(new Error('Invalid StartingSequenceNumber'), { name: 'InvalidArgumentException' }) });
  const wrong = await t.throwsAsync(seekGroup(group, 's', { sequenceNumber: first!.sequenceNumber }, { shards: [other] }), { instanceOf: UsageError });
  t.is(wrong!.code, 'INVALID_SEEK');
  t.regex(wrong!.message, new RegExp(`sequence number ${first!.sequenceNumber} is not a record of shard ${other}`));
  const bare = Object.assign(Object.create(store) as StateStore, { seekShard: undefined });
  t.is((await t.throwsAsync(seekGroup({ ...group, stateStore: bare }, 's', 'LATEST'), { instanceOf: UsageError }))!.code, 'INVALID_SEEK');
  t.deepEqual(store.snapshot().states, {}, 'nothing written');
});
