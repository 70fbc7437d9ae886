/**
 * The conditions of the checkpoint-item writes, to the letter: a take decided on a read item
 * applies only while the item is still what was read.
 */
import test from 'ava';
import { FREE, HAS_CHECKPOINT, NO_ITEM, START_ONLY, checkpointIs, freeFor, ownedBy, takeCondition } from '../../../src/state-store/dynamodb/shard-conditions.js';
import type { ShardState } from '../../../src/state-store/state-store.js';
import { decideTake, type Take } from '../../../src/state-store/take-decision.js';

const NOT_FINISHED = '(attribute_not_exists(#finished) OR #finished = :false)';
/** rx-kinesumer's position is the aggregate's sequence number inside one, else kinesumer's. */
const SEEN_SEQ = '(#aggregate_sequence_number = :seen_seq OR (attribute_not_exists(#aggregate_sequence_number) AND #sequence_number = :seen_seq))';
const NO_CHECKPOINT = '(attribute_not_exists(#sequence_number) AND attribute_not_exists(#aggregate_sequence_number))';

test('a shard seen free is taken only if it still has no owner and is not finished', (t) => {
  t.is(FREE.expression, `attribute_not_exists(#owner) AND ${NOT_FINISHED}`);
  t.deepEqual(FREE.values, { ':false': false });
  t.is(freeFor(undefined), FREE);
  t.deepEqual(freeFor('7'), {
    expression: `attribute_not_exists(#owner) AND ${NOT_FINISHED} AND (attribute_not_exists(#sequence_number) OR #shard_start = :start)`,
    names: { '#owner': 'owner', '#finished': 'finished', '#sequence_number': 'sequence_number', '#shard_start': 'shard_start' },
    values: { ':false': false, ':start': '7' },
  });
  t.is(NO_ITEM.expression, 'attribute_not_exists(pk)');
});

test('ownedBy and checkpointIs (the position: the aggregate\'s sequence number inside one, else the checkpoint)', (t) => {
  t.deepEqual(ownedBy('a', 'me'), { expression: '#owner = :me', names: { '#owner': 'owner' }, values: { ':me': 'a' } });
  const names = { '#sequence_number': 'sequence_number', '#aggregate_sequence_number': 'aggregate_sequence_number' };
  t.deepEqual(checkpointIs(undefined, 'prev'), { expression: NO_CHECKPOINT, names, values: {} });
  t.deepEqual(checkpointIs('5', 'prev'), { expression: SEEN_SEQ.replaceAll(':seen_seq', ':prev'), names, values: { ':prev': '5' } });
});

test('a release writes the shard start as the checkpoint only where there is none', (t) => {
  t.is(HAS_CHECKPOINT.expression, 'attribute_exists(#sequence_number)');
  t.is(START_ONLY.expression, 'attribute_not_exists(#sequence_number) AND attribute_exists(#shard_start)');
  t.deepEqual(START_ONLY.names, { '#sequence_number': 'sequence_number', '#shard_start': 'shard_start' });
});

const request = { clientId: 'b', aliveSince: new Date(50), shardStart: '1000', now: new Date(100) };
const state = (fields: Partial<ShardState>): ShardState => ({ shardId: 'x', finished: false, ...fields });
const decided = (stored: ShardState, position?: string, seek?: number): Take => {
  const holder =
    position === undefined
      ? undefined
      : { lastUpdate: new Date(0), checkpoints: { s: { x: { sequenceNumber: position } } }, ...(seek === undefined ? {} : { seeks: { s: { x: seek } } }) };
  const take = decideTake(stored, request, holder, 's');
  if (take === undefined) throw new Error('refused');
  return take;
};

const takes: [title: string, take: Take, seen: string | undefined, expression: string][] = [
  ['nobody held it: still nobody, still not finished', decided(state({ sequenceNumber: '1200' })), '1200', `attribute_not_exists(#owner) AND ${NOT_FINISHED}`],
  ['a dead holder: still that holder, still not finished', decided(state({ owner: 'a' })), undefined, `#owner = :seen_owner AND ${NOT_FINISHED}`],
  [
    "from the holder's heartbeat: and the checkpoint compared is still there",
    decided(state({ owner: 'a', sequenceNumber: '1200' }), '1300'),
    '1200',
    `#owner = :seen_owner AND ${NOT_FINISHED} AND ${SEEN_SEQ} AND attribute_not_exists(#seek)`,
  ],
  [
    "from the holder's heartbeat, no checkpoint stored: still none",
    decided(state({ owner: 'a' }), '1300'),
    undefined,
    `#owner = :seen_owner AND ${NOT_FINISHED} AND ${NO_CHECKPOINT} AND attribute_not_exists(#seek)`,
  ],
  [
    "an older shard's progress: its checkpoint still the one found stale, whatever its finished mark",
    decided(state({ sequenceNumber: '600', finished: true })),
    '600',
    `attribute_not_exists(#owner) AND ${SEEN_SEQ} AND attribute_not_exists(#seek)`,
  ],
  [
    "from the holder's heartbeat of a sought shard: and its seek is still the one read",
    decided(state({ owner: 'a', sequenceNumber: '1200', seek: 2 }), '1300', 2),
    '1200',
    `#owner = :seen_owner AND ${NOT_FINISHED} AND ${SEEN_SEQ} AND #seek = :seen_gen`,
  ],
];

for (const [title, take, seen, expression] of takes) {
  test(`takeCondition: ${title}`, (t) => {
    const condition = takeCondition(take, seen);
    t.is(condition.expression, expression);
    if (take.seen?.owner !== undefined) t.is(condition.values[':seen_owner'], take.seen.owner);
    if (expression.includes(':seen_seq')) t.is(condition.values[':seen_seq'], seen);
    if (expression.includes(':seen_gen')) t.is(condition.values[':seen_gen'], take.seen?.seek);
  });
}
