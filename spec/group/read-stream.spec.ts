/** Reading one stream for a round: shard list and states, the leader's reports and cleanup, failures. */
import test, { type ExecutionContext } from 'ava';
import { of, throwError } from 'rxjs';
import { StreamNotFoundError, type KinesumerError } from '../../src/errors.js';
import type { StreamReading } from '../../src/group/group-view.js';
import { readStream } from '../../src/group/read-stream.js';
import { toCachedShard, type ShardListSource } from '../../src/group/shard-list.js';
import { storeCall } from '../../src/group/store-call.js';
import type { ShardDescription } from '../../src/kinesis/kinesis-api.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import type { ShardState, StateStore } from '../../src/state-store/state-store.js';
import { testScheduler } from '../helpers/marbles.js';
import { kinesisDouble } from './group-doubles.js';

// shard 0 split into 1 and 2, which both have state: 0's state is no longer needed; 3 starts at 500
// but its state was written for an older shard 3 (starting at 100)
const shards: ShardDescription[] = [
  { shardId: '0', parentShardId: undefined, adjacentParentShardId: undefined, closed: true, startingSequenceNumber: '1' },
  { shardId: '1', parentShardId: '0', adjacentParentShardId: undefined, closed: false, startingSequenceNumber: '10' },
  { shardId: '2', parentShardId: '0', adjacentParentShardId: undefined, closed: false, startingSequenceNumber: '11' },
  { shardId: '3', parentShardId: undefined, adjacentParentShardId: undefined, closed: false, startingSequenceNumber: '500' },
];
const states: ShardState[] = [
  { shardId: '0', sequenceNumber: '9', finished: true },
  { shardId: '1', sequenceNumber: '12', finished: false, owner: 'a' },
  { shardId: '2', finished: false, owner: 'b' },
  { shardId: '3', sequenceNumber: '200', finished: false, shardStart: '100' },
];

function reader(t: ExecutionContext, change: (store: StateStore, memory: MemoryStateStore) => void = () => undefined) {
  const memory = new MemoryStateStore();
  const log: string[] = [];
  const store = Object.create(memory) as StateStore;
  store.listShardStates = () => of(states);
  store.deleteShardStates = (app, stream, ids) => {
    log.push(`delete ${ids.join(',')}`);
    return memory.deleteShardStates(app, stream, ids);
  };
  change(store, memory);
  const reports: KinesumerError[] = [];
  const scheduler = testScheduler(t);
  const kinesis = kinesisDouble(() => 0, log, (stream) => (stream === 'gone' ? throwError(() => new StreamNotFoundError(stream)) : of(shards)));
  const source: ShardListSource = { app: 'app', store, kinesis, call: storeCall(3000, scheduler), timeout: 3000, scheduler, report: (e) => reports.push(e) };
  const read = (stream: string, leader: boolean): StreamReading[] => {
    const out: StreamReading[] = [];
    readStream(source, stream, leader).subscribe((r) => {
      log.push('emitted');
      out.push(r);
    });
    return out;
  };
  return { read, log, reports, memory };
}

test('the leader reports checkpoints of an older shard, deletes the states nobody needs, then emits the snapshot without them', (t) => {
  const { read, log, reports } = reader(t);
  const [snapshot] = read('s', true);
  t.deepEqual(snapshot?.shards.map((s) => s.id), ['0', '1', '2', '3']);
  t.deepEqual([...snapshot!.states.keys()], ['0', '1', '2']);
  t.deepEqual(log, ['0 listShards s', 'delete 3,0', 'emitted']);
  t.deepEqual(reports.map((e) => e.code), ['CHECKPOINT_STALE']);
  t.regex(reports[0]!.message, /^Checkpoint 200 of shard 3 of stream "s" was written for an older shard/);
});

test('a follower reads the same snapshot but reports and deletes nothing', (t) => {
  const { read, log, reports, memory } = reader(t);
  // the leader's cache: a follower does not ask Kinesis
  memory.updateShards('app', 's', shards.map(toCachedShard)).subscribe();
  const [snapshot] = read('s', false);
  t.deepEqual([...snapshot!.states.keys()], ['0', '1', '2']);
  t.deepEqual(log, ['emitted']);
  t.deepEqual(reports, []);
});

test('a failed cleanup is reported and the snapshot emitted all the same', (t) => {
  const { read, reports } = reader(t, (_store, memory) => memory.failNext('deleteShardStates', new Error('throttled')));
  t.is(read('s', true).length, 1);
  t.deepEqual(reports.map((e) => e.message.slice(0, 40)), ['Checkpoint 200 of shard 3 of stream "s" ', 'State store deleteShardStates failed: Er']);
});

test('a stream that does not exist reads as null, one that cannot be read as undefined; both are reported', (t) => {
  const { read, reports } = reader(t, (store) => (store.listShardStates = () => throwError(() => new Error('down'))));
  t.deepEqual(read('gone', true), [null]);
  t.deepEqual(read('s', true), [undefined]);
  t.deepEqual(reports.map((e) => e.message), ['Kinesis stream "gone" was not found', 'State store listShardStates failed: Error: down']);
});
