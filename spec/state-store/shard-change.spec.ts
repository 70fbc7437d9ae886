/**
 * What each shard-state write changes (shard-change.ts), as tables of changes and the state they
 * leave; both stores write these same changes.
 */
import test from 'ava';
import {
  RELEASE_CHANGE,
  applyShardChange,
  commitChange,
  seekChange,
  positionChange,
  releaseChange,
  takeChange,
  type ShardChange,
} from '../../src/state-store/shard-change.js';
import type { ShardState } from '../../src/state-store/state-store.js';

const at = (ms: number): Date => new Date(Date.UTC(2024, 2, 1) + ms);
const SHARD = 'shardId-000000000001';

/** A held shard with a checkpoint inside an aggregate. */
const held: ShardState = { shardId: SHARD, sequenceNumber: '100', subSequenceNumber: 2, owner: 'a', finished: false, shardStart: '10', lastUpdate: at(0) };

const applied: [title: string, change: ShardChange, after: ShardState][] = [
  ['a release removes only the owner', RELEASE_CHANGE, { shardId: SHARD, sequenceNumber: '100', subSequenceNumber: 2, finished: false, shardStart: '10', lastUpdate: at(0) }],
  ['a removed finished mark reads as false', { set: {}, remove: ['finished'] }, held],
  ['set fields are written', { set: { owner: 'b', finished: true }, remove: [] }, { ...held, owner: 'b', finished: true }],
  ['undefined set fields are left as they are', { set: { owner: undefined }, remove: [] }, held],
];

for (const [title, change, after] of applied) {
  test(`applyShardChange: ${title}`, (t) => {
    t.deepEqual(applyShardChange(held, change), after);
  });
}

test('applyShardChange: the state given is not changed, and dates are copied', (t) => {
  const before = structuredClone(held);
  const now = at(5);
  const after = applyShardChange(held, { set: { lastUpdate: now }, remove: ['owner'] });
  t.deepEqual(held, before);
  t.deepEqual(after.lastUpdate, now);
  t.not(after.lastUpdate, now);
  t.is(applyShardChange({ shardId: SHARD, finished: true }, { set: {}, remove: ['finished'] }).finished, false);
});

const changes: [title: string, change: ShardChange, expected: ShardChange][] = [
  ['a take sets owner, time and shard start', takeChange({ clientId: 'b', now: at(1), shardStart: '10' }), { set: { owner: 'b', lastUpdate: at(1), shardStart: '10' }, remove: [] }],
  ['a take without a shard start writes none', takeChange({ clientId: 'b', now: at(1), shardStart: undefined }), { set: { owner: 'b', lastUpdate: at(1) }, remove: [] }],
  [
    'a take from a heartbeat position moves the checkpoint there',
    takeChange({ clientId: 'b', now: at(1), shardStart: '10' }, { sequenceNumber: '300' }),
    { set: { owner: 'b', lastUpdate: at(1), shardStart: '10', sequenceNumber: '300' }, remove: ['subSequenceNumber', 'precedingSequenceNumber', 'seekTo', 'seekAfter'] },
  ],
  [
    "a take of an older shard's state removes its checkpoint and finished mark",
    takeChange({ clientId: 'b', now: at(1), shardStart: '10' }, undefined, true),
    { set: { owner: 'b', lastUpdate: at(1), shardStart: '10' }, remove: ['sequenceNumber', 'subSequenceNumber', 'precedingSequenceNumber', 'finished', 'seekTo', 'seekAfter'] },
  ],
  [
    "a take of an older shard's state from a heartbeat position keeps the position",
    takeChange({ clientId: 'b', now: at(1), shardStart: '10' }, { sequenceNumber: '300', subSequenceNumber: 1 }, true),
    { set: { owner: 'b', lastUpdate: at(1), shardStart: '10', sequenceNumber: '300', subSequenceNumber: 1 }, remove: ['precedingSequenceNumber', 'finished', 'seekTo', 'seekAfter'] },
  ],
  [
    'a take from a heartbeat position inside an aggregate writes kinesumer\'s checkpoint before it',
    takeChange({ clientId: 'b', now: at(1), shardStart: '10' }, { sequenceNumber: '300', subSequenceNumber: 1 }, false, '250'),
    { set: { owner: 'b', lastUpdate: at(1), shardStart: '10', sequenceNumber: '300', subSequenceNumber: 1, precedingSequenceNumber: '250' }, remove: ['seekTo', 'seekAfter'] },
  ],
  [
    'a commit of a whole record removes the sub-sequence number',
    commitChange({ clientId: 'a', sequenceNumber: '200', previous: '100', finished: false, now: at(2) }),
    { set: { lastUpdate: at(2), sequenceNumber: '200' }, remove: ['subSequenceNumber', 'precedingSequenceNumber'] },
  ],
  [
    'a commit of a whole record drops kinesumer\'s checkpoint given with it',
    commitChange({ clientId: 'a', sequenceNumber: '200', precedingSequenceNumber: '150', previous: '100', finished: false, now: at(2) }),
    { set: { lastUpdate: at(2), sequenceNumber: '200' }, remove: ['subSequenceNumber', 'precedingSequenceNumber'] },
  ],
  [
    'a commit after a seek ends the pending seek',
    commitChange({ clientId: 'a', sequenceNumber: '200', previous: undefined, finished: false, now: at(2), seek: 3 }),
    { set: { lastUpdate: at(2), sequenceNumber: '200' }, remove: ['subSequenceNumber', 'precedingSequenceNumber', 'seekTo', 'seekAfter'] },
  ],
  [
    'a commit inside an aggregate writes the sub-sequence number',
    commitChange({ clientId: 'a', sequenceNumber: '200', subSequenceNumber: 4, previous: '100', finished: false, now: at(2) }),
    { set: { lastUpdate: at(2), sequenceNumber: '200', subSequenceNumber: 4 }, remove: ['precedingSequenceNumber'] },
  ],
  [
    'a commit inside an aggregate writes kinesumer\'s checkpoint before it',
    commitChange({ clientId: 'a', sequenceNumber: '200', subSequenceNumber: 4, precedingSequenceNumber: '150', previous: '100', finished: false, now: at(2) }),
    { set: { lastUpdate: at(2), sequenceNumber: '200', subSequenceNumber: 4, precedingSequenceNumber: '150' }, remove: [] },
  ],
  [
    'a finishing commit without a sequence number keeps the checkpoint',
    commitChange({ clientId: 'a', sequenceNumber: undefined, subSequenceNumber: 4, previous: '100', finished: true, now: at(2) }),
    { set: { lastUpdate: at(2), finished: true }, remove: [] },
  ],
  [
    'a finishing commit with a sequence number writes both',
    commitChange({ clientId: 'a', sequenceNumber: '200', previous: '100', finished: true, now: at(2) }),
    { set: { lastUpdate: at(2), sequenceNumber: '200', finished: true }, remove: ['subSequenceNumber', 'precedingSequenceNumber'] },
  ],
  [
    'a seek: one more seek, its target, the shard start as the checkpoint (kinesumer reads from there), no finished mark; the owner stays',
    seekChange({ seekTo: 'TRIM_HORIZON', now: at(4), shardStart: '10' }),
    { set: { lastUpdate: at(4), shardStart: '10', sequenceNumber: '10', seekTo: 'TRIM_HORIZON' }, remove: ['subSequenceNumber', 'precedingSequenceNumber', 'finished', 'seekAfter'], bumpSeek: true },
  ],
  [
    'a seek after parents records them; without a shard start, no checkpoint',
    seekChange({ seekTo: 'LATEST', seekAfter: { p: 3 }, now: at(4) }),
    { set: { lastUpdate: at(4), seekTo: 'LATEST', seekAfter: { p: 3 } }, remove: ['sequenceNumber', 'subSequenceNumber', 'precedingSequenceNumber', 'finished'], bumpSeek: true },
  ],
  [
    'a seek without a target records the shard finished',
    seekChange({ seekTo: undefined, seekAfter: {}, now: at(4) }),
    { set: { lastUpdate: at(4), finished: true }, remove: ['sequenceNumber', 'subSequenceNumber', 'precedingSequenceNumber', 'seekTo', 'seekAfter'], bumpSeek: true },
  ],
  [
    'a position change sets the time only when given',
    positionChange({ sequenceNumber: '300' }, at(3)),
    { set: { lastUpdate: at(3), sequenceNumber: '300' }, remove: ['subSequenceNumber', 'precedingSequenceNumber'] },
  ],
  ['a release of a shard with a checkpoint removes only the owner', releaseChange({ sequenceNumber: '100', shardStart: '10' }), { set: {}, remove: ['owner'] }],
  [
    'a release of a shard without a checkpoint makes its shard start the checkpoint',
    releaseChange({ shardStart: '10' }),
    { set: { sequenceNumber: '10' }, remove: ['owner'] },
  ],
  ['a release of a shard with neither removes only the owner', releaseChange({}), { set: {}, remove: ['owner'] }],
];

for (const [title, change, expected] of changes) {
  test(`changes: ${title}`, (t) => {
    t.deepEqual(change, expected);
    // DynamoDB refuses an UpdateExpression that sets and removes one attribute.
    t.deepEqual(change.remove.filter((field) => change.set[field] !== undefined), []);
  });
}

test('changes: a commit applied to a held shard leaves the new checkpoint', (t) => {
  const commit = { clientId: 'a', sequenceNumber: '200', previous: '100', finished: false, now: at(2) };
  t.deepEqual(applyShardChange(held, commitChange(commit)), { ...withoutSub(held), sequenceNumber: '200', lastUpdate: at(2) });
});

function withoutSub(state: ShardState): ShardState {
  const { subSequenceNumber: _sub, ...rest } = state;
  return rest;
}
