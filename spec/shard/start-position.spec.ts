/** Where a shard that was just taken is read from. */
import test from 'ava';
import type { KinesumerError } from '../../src/errors.js';
import type { StreamSnapshot } from '../../src/group/shard-lineage.js';
import { startPosition } from '../../src/shard/start-position.js';
import type { CachedShard, ShardState } from '../../src/state-store/state-store.js';

const shard = (id: string, extra: Partial<CachedShard> = {}): CachedShard => ({ id, closed: false, startingSequenceNumber: '100', ...extra });
const snapshotOf = (shards: CachedShard[], states: ShardState[] = []): StreamSnapshot => ({ shards, states: new Map(states.map((s) => [s.shardId, s])) });
const state = (shardId: string, extra: Partial<ShardState> = {}): ShardState => ({ shardId, finished: false, ...extra });

function start(taken: ShardState, snapshot: StreamSnapshot | undefined, initial: 'LATEST' | 'TRIM_HORIZON' | { timestamp: Date } = 'LATEST') {
  const reported: KinesumerError[] = [];
  const result = startPosition('s', taken, snapshot, initial, (e) => reported.push(e));
  return { ...result, reported: reported.map((e) => e.code) };
}

test('after a stored checkpoint', (t) => {
  t.deepEqual(start(state('a', { sequenceNumber: '150' }), snapshotOf([shard('a')])), {
    start: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '150' },
    resumeAfter: '150',
    resumeSub: undefined,
    resumePreceding: undefined,
    reported: [],
  });
});

test('at a partly processed KPL aggregate, to skip its processed user records', (t) => {
  t.deepEqual(start(state('a', { sequenceNumber: '150', subSequenceNumber: 2 }), snapshotOf([shard('a')])), {
    start: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '150' },
    resumeAfter: '150',
    resumeSub: 2,
    resumePreceding: undefined,
    reported: [],
  });
  // kinesumer's checkpoint before the aggregate is handed on, not read from
  t.like(start(state('a', { sequenceNumber: '150', subSequenceNumber: 2, precedingSequenceNumber: '140' }), snapshotOf([shard('a')])), {
    start: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '150' },
    resumePreceding: '140',
  });
});

test('a checkpoint of an older shard of this id is reported and ignored', (t) => {
  const r = start(state('a', { sequenceNumber: '50' }), snapshotOf([shard('a')]), 'TRIM_HORIZON');
  t.deepEqual(r.reported, ['CHECKPOINT_STALE']);
  t.is(r.resumeAfter, undefined);
  // the shard itself has state (the stale one): its lineage was read, so from the horizon
  t.deepEqual(r.start, { type: 'TRIM_HORIZON' });
});

test('without a checkpoint: TRIM_HORIZON when a parent was read, the initial position otherwise', (t) => {
  const parent = shard('p', { closed: true });
  const child = shard('c', { parentShardId: 'p' });
  const lineage = snapshotOf([parent, child], [state('p', { sequenceNumber: '120', finished: true })]);
  t.deepEqual(start(state('c'), lineage).start, { type: 'TRIM_HORIZON' });
  t.deepEqual(start(state('n'), snapshotOf([shard('n')])).start, { type: 'LATEST' });
  const at = new Date(1_700_000_000_000);
  t.deepEqual(start(state('n'), snapshotOf([shard('n')]), { timestamp: at }).start, { type: 'AT_TIMESTAMP', timestamp: at });
  t.deepEqual(start(state('n'), undefined, 'TRIM_HORIZON').start, { type: 'TRIM_HORIZON' });
});
