/**
 * The take rule both stores follow (decideTake, holderToAsk), as a table: the stored state, the
 * request, the holder's heartbeat; whether the shard is taken, and the state the take leaves.
 */
import test from 'ava';
import { applyShardChange } from '../../src/state-store/shard-change.js';
import type { AcquireRequest, ShardState } from '../../src/state-store/state-store.js';
import { decideTake, holderToAsk, type HolderHeartbeat } from '../../src/state-store/take-decision.js';

const at = (ms: number): Date => new Date(Date.UTC(2024, 2, 1) + ms);
const SHARD = 'shardId-000000000001';
const START = '1000';
const OLD_START = '500';

/** Client `b` asks at 100; a holder heard from at 50 or earlier is dead. */
const request: AcquireRequest = { clientId: 'b', aliveSince: at(50), shardStart: START, now: at(100) };

const state = (fields: Partial<ShardState> = {}): ShardState => ({ shardId: SHARD, finished: false, ...fields });
const heard = (ms: number, position?: { sequenceNumber: string; subSequenceNumber?: number }): HolderHeartbeat =>
  position === undefined ? { lastUpdate: at(ms) } : { lastUpdate: at(ms), checkpoints: { s: { [SHARD]: position } } };

interface Case {
  title: string;
  stored: ShardState | undefined;
  holder?: HolderHeartbeat;
  request?: Partial<AcquireRequest>;
  /** `refused`, or the state after the take. */
  after: ShardState | 'refused';
  stale?: boolean;
}

const taken = (fields: Partial<ShardState> = {}): ShardState => state({ owner: 'b', shardStart: START, lastUpdate: at(100), ...fields });

const cases: Case[] = [
  { title: 'a shard without state is taken', stored: undefined, after: taken() },
  { title: 'without a known shard start, none is written', stored: undefined, request: { shardStart: undefined }, after: { shardId: SHARD, finished: false, owner: 'b', lastUpdate: at(100) } },
  { title: 'a free shard is taken, keeping its checkpoint', stored: state({ sequenceNumber: '1500', shardStart: START }), after: taken({ sequenceNumber: '1500' }) },
  { title: 'a finished shard is refused', stored: state({ finished: true, shardStart: START }), after: 'refused' },
  { title: 'a finished shard is refused to its own holder too', stored: state({ owner: 'b', finished: true }), after: 'refused' },
  { title: 'a shard a live client holds is refused', stored: state({ owner: 'a' }), holder: heard(51), after: 'refused' },
  { title: 'a shard the taker holds is taken again', stored: state({ owner: 'b' }), holder: heard(99), after: taken() },
  { title: 'a holder heard from exactly at aliveSince is dead', stored: state({ owner: 'a' }), holder: heard(50), after: taken() },
  { title: 'a holder without a heartbeat is dead', stored: state({ owner: 'a', sequenceNumber: '1200' }), after: taken({ sequenceNumber: '1200' }) },
  {
    title: "taken from a dead holder, the take starts after the holder's heartbeat position when further on",
    stored: state({ owner: 'a', sequenceNumber: '1200', subSequenceNumber: 3 }),
    holder: heard(10, { sequenceNumber: '1300' }),
    after: taken({ sequenceNumber: '1300' }),
  },
  {
    title: 'a heartbeat position inside an aggregate comes with its sub-sequence number, and the stored checkpoint before it is kinesumer\'s',
    stored: state({ owner: 'a', sequenceNumber: '1200' }),
    holder: heard(10, { sequenceNumber: '1300', subSequenceNumber: 2 }),
    after: taken({ sequenceNumber: '1300', subSequenceNumber: 2, precedingSequenceNumber: '1200' }),
  },
  {
    title: 'a heartbeat position inside an aggregate with no checkpoint before it: kinesumer\'s is the shard start',
    stored: state({ owner: 'a' }),
    holder: heard(10, { sequenceNumber: '1300', subSequenceNumber: 2 }),
    after: taken({ sequenceNumber: '1300', subSequenceNumber: 2, precedingSequenceNumber: '1000' }),
  },
  {
    title: 'a heartbeat position behind the stored checkpoint is ignored',
    stored: state({ owner: 'a', sequenceNumber: '1200' }),
    holder: heard(10, { sequenceNumber: '1100' }),
    after: taken({ sequenceNumber: '1200' }),
  },
  {
    title: 'the restarted taker starts after its own heartbeat position',
    stored: state({ owner: 'b', sequenceNumber: '1200' }),
    holder: heard(99, { sequenceNumber: '1300' }),
    after: taken({ sequenceNumber: '1300' }),
  },
  {
    title: 'a heartbeat of a shard nobody holds is not used',
    stored: state({ sequenceNumber: '1200' }),
    holder: heard(10, { sequenceNumber: '1300' }),
    after: taken({ sequenceNumber: '1200' }),
  },
  {
    title: "an older shard's checkpoint and finished mark are dropped",
    stored: state({ sequenceNumber: '600', subSequenceNumber: 1, finished: true, shardStart: OLD_START }),
    after: taken(),
    stale: true,
  },
  {
    title: "an older shard's checkpoint without a shard start is told by its sequence number",
    stored: state({ sequenceNumber: '600' }),
    after: taken(),
    stale: true,
  },
  {
    title: "an older shard's live holder still counts",
    stored: state({ owner: 'a', sequenceNumber: '600', finished: true, shardStart: OLD_START }),
    holder: heard(60),
    after: 'refused',
  },
  {
    title: "a dead holder's heartbeat position for this shard replaces an older shard's dropped checkpoint",
    stored: state({ owner: 'a', sequenceNumber: '600', subSequenceNumber: 4, finished: true }),
    holder: heard(10, { sequenceNumber: '1300' }),
    after: taken({ sequenceNumber: '1300' }),
    stale: true,
  },
  {
    title: "a dead holder's heartbeat position inside an aggregate, over an older shard's checkpoint: kinesumer's is this shard's start, not that checkpoint",
    stored: state({ owner: 'a', sequenceNumber: '600' }),
    holder: heard(10, { sequenceNumber: '1300', subSequenceNumber: 2 }),
    after: taken({ sequenceNumber: '1300', subSequenceNumber: 2, precedingSequenceNumber: '1000' }),
    stale: true,
  },
  {
    title: "a heartbeat position written against an older shard start is not used",
    stored: state({ owner: 'a', sequenceNumber: '600', shardStart: OLD_START }),
    holder: heard(10, { sequenceNumber: '1300' }),
    after: taken(),
    stale: true,
  },
];

for (const c of cases) {
  test(`decideTake: ${c.title}`, (t) => {
    const take = decideTake(c.stored, { ...request, ...c.request }, c.holder, 's');
    if (c.after === 'refused') {
      t.is(take, undefined);
      return;
    }
    if (take === undefined) return t.fail('refused');
    t.deepEqual(applyShardChange(c.stored ?? state(), take.change), c.after);
    t.is(take.stale, c.stale ?? false);
  });
}

test('decideTake: the decision names what it was decided on', (t) => {
  const stored = state({ owner: 'a', sequenceNumber: '1200', shardStart: START });
  const take = decideTake(stored, request, heard(10, { sequenceNumber: '1300' }), 's');
  t.deepEqual(take?.seen, stored);
  t.deepEqual(take?.ahead, { sequenceNumber: '1300' });
  t.false(take?.stale);
  t.is(decideTake(undefined, request, undefined, 's')?.seen, undefined);
});

test("decideTake: another stream's heartbeat positions are not used", (t) => {
  const take = decideTake(state({ owner: 'a', sequenceNumber: '1200' }), request, heard(10, { sequenceNumber: '1300' }), 'other');
  t.is(take?.ahead, undefined);
});

const holders: [title: string, stored: ShardState | undefined, expected: string | undefined][] = [
  ['no state: nobody to ask', undefined, undefined],
  ['no holder: nobody to ask', state({ sequenceNumber: '1200' }), undefined],
  ['a holder is asked', state({ owner: 'a' }), 'a'],
  ['a finished shard is refused without asking', state({ owner: 'a', finished: true }), undefined],
  ["an older shard's finished mark does not count: its holder is asked", state({ owner: 'a', finished: true, shardStart: OLD_START }), 'a'],
];

for (const [title, stored, expected] of holders) {
  test(`holderToAsk: ${title}`, (t) => {
    t.is(holderToAsk(stored, START), expected);
  });
}
