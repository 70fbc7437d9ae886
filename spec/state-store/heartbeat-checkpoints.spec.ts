/**
 * The rules for checkpoints carried in heartbeats: when a heartbeat position wins over the stored
 * checkpoint (takeoverPosition, pruneTakeover, withHeartbeatCheckpoints), and the map helpers.
 */
import test from 'ava';
import { mapShardEntries, pruneTakeover, shardEntries, takeoverPosition, withHeartbeatCheckpoints } from '../../src/state-store/heartbeat-checkpoints.js';
import type { Position } from '../../src/position.js';
import type { ShardState } from '../../src/state-store/state-store.js';

const at = (ms: number): Date => new Date(Date.UTC(2024, 2, 1) + ms);
const SHARD = 'shardId-000000000001';

type Stored = { sequenceNumber?: string; subSequenceNumber?: number; shardStart?: string };
const takeovers: [title: string, beat: Position | undefined, stored: Stored, shardStart: string | undefined, ahead: boolean][] = [
  ['no heartbeat position: the stored one stands', undefined, { sequenceNumber: '100' }, '10', false],
  ['further on wins', { sequenceNumber: '200' }, { sequenceNumber: '100' }, '10', true],
  ['numerically, not as text', { sequenceNumber: '1000' }, { sequenceNumber: '999' }, '10', true],
  ['equal stays', { sequenceNumber: '100' }, { sequenceNumber: '100' }, '10', false],
  ['behind stays', { sequenceNumber: '99' }, { sequenceNumber: '100' }, '10', false],
  ['no stored checkpoint: any position of this shard wins', { sequenceNumber: '100' }, {}, '10', true],
  ['a later user record of one aggregate wins', { sequenceNumber: '100', subSequenceNumber: 3 }, { sequenceNumber: '100', subSequenceNumber: 2 }, '10', true],
  ['the whole aggregate wins over part of it', { sequenceNumber: '100' }, { sequenceNumber: '100', subSequenceNumber: 2 }, '10', true],
  ['part of an aggregate loses to the whole of it', { sequenceNumber: '100', subSequenceNumber: 5 }, { sequenceNumber: '100' }, '10', false],
  ['a position before the shard start is an older shard\'s', { sequenceNumber: '5' }, {}, '10', false],
  ['state written for another shard start is not compared', { sequenceNumber: '200' }, { sequenceNumber: '100', shardStart: '9' }, '10', false],
  ['without a known shard start, only the positions are compared', { sequenceNumber: '5' }, { sequenceNumber: '4', shardStart: '9' }, undefined, true],
];

for (const [title, beat, stored, shardStart, ahead] of takeovers) {
  test(`takeoverPosition: ${title}`, (t) => {
    t.deepEqual(takeoverPosition(beat, stored, shardStart), ahead ? beat : undefined);
  });
}

const held: ShardState = { shardId: SHARD, sequenceNumber: '100', owner: 'dead', finished: false, shardStart: '10' };

test('pruneTakeover: a held shard gets the pruned client\'s position when further on', (t) => {
  // inside an aggregate, with the stored checkpoint before it as kinesumer's
  t.deepEqual(pruneTakeover('dead', { sequenceNumber: '200', subSequenceNumber: 1 }, held), {
    set: { sequenceNumber: '200', subSequenceNumber: 1, precedingSequenceNumber: '100' },
    remove: [],
  });
  t.deepEqual(pruneTakeover('dead', { sequenceNumber: '200' }, held), { set: { sequenceNumber: '200' }, remove: ['subSequenceNumber', 'precedingSequenceNumber'] });
});

test('pruneTakeover: further into the stored aggregate, kinesumer\'s checkpoint stays the one stored with it; without one, the shard start', (t) => {
  const inside: ShardState = { ...held, sequenceNumber: '200', subSequenceNumber: 1, precedingSequenceNumber: '150' };
  t.like(pruneTakeover('dead', { sequenceNumber: '200', subSequenceNumber: 5 }, inside)?.set, { precedingSequenceNumber: '150' });
  // an item of an older version, with only the aggregate's own sequence number
  const old: ShardState = { ...held, sequenceNumber: '200', subSequenceNumber: 1 };
  t.like(pruneTakeover('dead', { sequenceNumber: '200', subSequenceNumber: 5 }, old)?.set, { precedingSequenceNumber: '10' });
});

test('pruneTakeover: nothing for a shard another client holds, or a position not further on', (t) => {
  t.is(pruneTakeover('other', { sequenceNumber: '200' }, held), undefined);
  t.is(pruneTakeover('dead', { sequenceNumber: '100' }, held), undefined);
  t.is(pruneTakeover('dead', { sequenceNumber: '200' }, { ...held, owner: undefined }), undefined);
});

test("pruneTakeover: the state's own shard start tells an older shard's position", (t) => {
  t.is(pruneTakeover('dead', { sequenceNumber: '5' }, { shardId: SHARD, owner: 'dead', finished: false, shardStart: '10' }), undefined);
});

test("withHeartbeatCheckpoints: a held shard resumes after its owner's heartbeat position, at the heartbeat's time", (t) => {
  const free: ShardState = { shardId: 'shardId-000000000002', sequenceNumber: '100', finished: false };
  const states = withHeartbeatCheckpoints('s', [{ id: SHARD, closed: false, startingSequenceNumber: '10' }], [{ ...held, subSequenceNumber: 1 }, free], [
    { clientId: 'dead', lastUpdate: at(7), checkpoints: { s: { [SHARD]: { sequenceNumber: '300' }, 'shardId-000000000002': { sequenceNumber: '900' } } } },
  ]);
  t.deepEqual(states, [{ ...held, sequenceNumber: '300', lastUpdate: at(7) }, free]);
});

test("withHeartbeatCheckpoints: an older shard's heartbeat position, or another stream's, is not used", (t) => {
  const beats = [{ clientId: 'dead', lastUpdate: at(7), checkpoints: { s: { [SHARD]: { sequenceNumber: '300' } }, t: { [SHARD]: { sequenceNumber: '400' } } } }];
  t.deepEqual(withHeartbeatCheckpoints('s', [{ id: SHARD, closed: false, startingSequenceNumber: '20' }], [held], beats), [held]);
  t.deepEqual(withHeartbeatCheckpoints('u', [], [held], beats), [held]);
});

test('shardEntries walks every stream and shard; mapShardEntries leaves out what maps to undefined, and empty streams', (t) => {
  const byStream = { a: { x: 1, y: 2 }, b: { z: 3 } };
  t.deepEqual([...shardEntries(byStream)], [['a', 'x', 1], ['a', 'y', 2], ['b', 'z', 3]]);
  t.deepEqual(mapShardEntries(byStream, (n, stream, shardId) => (n === 3 ? undefined : `${stream}/${shardId}/${n * 10}`)), { a: { x: 'a/x/10', y: 'a/y/20' } });
});
