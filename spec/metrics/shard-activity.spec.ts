import test from 'ava';
import { shardActivity, type ActivityFacts } from '../../src/metrics/shard-activity.js';

const none: ActivityFacts = { taking: false, paused: false, readFailure: undefined, retrying: undefined, progress: undefined, stalled: false, stallCode: undefined };
const progress = (over: Partial<NonNullable<ActivityFacts['progress']>> = {}) => ({ inFlight: 0, heldBack: false, markedSequenceNumber: undefined, ...over });

test('the activity of a shard, the most telling first', (t) => {
  t.deepEqual(shardActivity(none), { state: 'reading' });
  t.deepEqual(shardActivity({ ...none, taking: true, paused: true }), { state: 'taking' });
  t.deepEqual(shardActivity({ ...none, paused: true, readFailure: { code: 'X', rejected: false } }), { state: 'paused' });
  t.deepEqual(shardActivity({ ...none, readFailure: { code: 'InvalidArgumentException', rejected: true } }), { state: 'checkpointRejected', error: 'InvalidArgumentException' });
  t.deepEqual(shardActivity({ ...none, readFailure: { code: 'KINESIS_TIMEOUT', rejected: false }, stalled: true }), { state: 'cannotRead', error: 'KINESIS_TIMEOUT' });
  t.deepEqual(shardActivity({ ...none, progress: progress({ heldBack: true }), stalled: true }), { state: 'backpressure' });
  t.deepEqual(shardActivity({ ...none, stalled: true, stallCode: 'KINESIS_TIMEOUT' }), { state: 'stalled', error: 'KINESIS_TIMEOUT' });
});

test('a retried record makes the shard failingRecords until a mark passes it', (t) => {
  const retrying = { ...none, retrying: '200' };
  t.deepEqual(shardActivity({ ...retrying, progress: progress({ markedSequenceNumber: '100' }) }), { state: 'failingRecords' });
  t.deepEqual(shardActivity({ ...retrying, progress: progress() }), { state: 'failingRecords' });
  t.deepEqual(shardActivity({ ...retrying, progress: progress({ markedSequenceNumber: '200' }) }), { state: 'reading' });
  t.deepEqual(shardActivity({ ...retrying, progress: progress({ markedSequenceNumber: '1000' }) }), { state: 'reading' });
});
