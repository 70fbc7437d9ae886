/** What both stores refuse before they write (store-validation.ts), with the messages they give. */
import test from 'ava';
import { StateStoreError } from '../../src/errors.js';
import { isSequenceNumber, latestCheckpoints, validDate, validHeartbeat, validSequenceNumber, validateCommit } from '../../src/state-store/store-validation.js';

const at = (ms: number): Date => new Date(Date.UTC(2024, 2, 1) + ms);

const sequenceNumbers: [value: unknown, ok: boolean][] = [
  ['0', true],
  ['49590338271490256608559692538361571095921575989136588898', true],
  ['', false],
  ['12a', false],
  [' 12', false],
  ['-1', false],
  ['1.5', false],
  [12, false],
  [undefined, false],
];

for (const [value, ok] of sequenceNumbers) {
  test(`isSequenceNumber(${JSON.stringify(value)}) is ${ok}`, (t) => {
    t.is(isSequenceNumber(value), ok);
  });
}

test('validDate gives a valid Date back as it is, and refuses an invalid one naming the operation', (t) => {
  const date = at(0);
  t.is(validDate('pingClient', date), date);
  for (const bad of [new Date(Number.NaN), '2024-03-01' as unknown as Date, undefined as unknown as Date]) {
    const err = t.throws(() => validDate('pingClient', bad), { instanceOf: StateStoreError });
    t.is(err?.message, 'State store pingClient failed: an invalid Date was given');
    t.false(err?.retriable);
  }
});

test('validSequenceNumber names the shard and stream', (t) => {
  t.is(validSequenceNumber('heartbeat', 's', 'shard-1', '42'), '42');
  t.throws(() => validSequenceNumber('heartbeat', 's', 'shard-1', 'x'), {
    instanceOf: StateStoreError,
    message: 'State store heartbeat failed: sequence number of shard shard-1 of stream "s" is not a decimal string',
  });
});

const commits: [title: string, sequenceNumber: string | undefined, finished: boolean, message: string | undefined][] = [
  ['a decimal sequence number', '42', false, undefined],
  ['no sequence number with finished', undefined, true, undefined],
  ['a bad sequence number', '4x', true, 'State store commitShard failed: sequence number of shard shard-1 of stream "s" is not a decimal string'],
  ['neither', undefined, false, 'State store commitShard failed: a commit of shard shard-1 of stream "s" has neither a sequence number nor finished'],
];

for (const [title, sequenceNumber, finished, message] of commits) {
  test(`validateCommit: ${title}`, (t) => {
    const check = () => validateCommit('s', 'shard-1', { clientId: 'a', sequenceNumber, previous: undefined, finished, now: at(0) });
    if (message === undefined) t.notThrows(check);
    else t.throws(check, { instanceOf: StateStoreError, message });
  });
}

test('latestCheckpoints keeps the last of each shard, in the order of their last mention', (t) => {
  const cp = (shardId: string, sequenceNumber: string) => ({ shardId, sequenceNumber, lastUpdate: at(0) });
  t.deepEqual(latestCheckpoints('s', [cp('a', '1'), cp('b', '2'), cp('a', '3')]), [cp('b', '2'), cp('a', '3')]);
  t.deepEqual(latestCheckpoints('s', []), []);
});

test('latestCheckpoints checks every checkpoint, a bad one anywhere refusing all', (t) => {
  const good = { shardId: 'a', sequenceNumber: '1', lastUpdate: at(0) };
  t.throws(() => latestCheckpoints('s', [good, { ...good, shardId: 'b', sequenceNumber: 'x' }]), {
    instanceOf: StateStoreError,
    message: 'State store updateCheckpoints failed: sequence number of shard b of stream "s" is not a decimal string',
  });
  t.throws(() => latestCheckpoints('s', [good, { ...good, lastUpdate: new Date(Number.NaN) }]), {
    instanceOf: StateStoreError,
    message: 'State store updateCheckpoints failed: an invalid Date was given',
  });
});

test('validHeartbeat copies the positions, leaves out empty streams and empty digests', (t) => {
  const position = { sequenceNumber: '5', subSequenceNumber: 1 };
  const heartbeat = { checkpoints: { s: { x: position, y: { sequenceNumber: '6' } }, empty: {} }, digests: {} };
  const copy = validHeartbeat(heartbeat);
  t.deepEqual(copy, { checkpoints: { s: { x: position, y: { sequenceNumber: '6' } } } });
  t.not(copy.checkpoints['s']?.['x'], position);
  const digests = { s: 'abc' };
  t.deepEqual(validHeartbeat({ checkpoints: {}, digests }), { checkpoints: {}, digests });
  t.not(validHeartbeat({ checkpoints: {}, digests }).digests, digests);
});

test('validHeartbeat refuses a bad sequence number as the heartbeat', (t) => {
  t.throws(() => validHeartbeat({ checkpoints: { s: { x: { sequenceNumber: 'next' } } } }), {
    instanceOf: StateStoreError,
    message: 'State store heartbeat failed: sequence number of shard x of stream "s" is not a decimal string',
  });
});
