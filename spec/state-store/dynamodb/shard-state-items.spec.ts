/** How a shard change of the shared rules becomes an UpdateExpression on the checkpoint item. */
import test from 'ava';
import { shardUpdate } from '../../../src/state-store/dynamodb/shard-state-items.js';
import { RELEASE_CHANGE, commitChange, positionChange, seekChange, takeChange, type ShardChange } from '../../../src/state-store/shard-change.js';

const now = new Date(Date.UTC(2024, 2, 1));

const updates: [title: string, change: ShardChange, expression: string][] = [
  ['a take', takeChange({ clientId: 'a', now, shardStart: undefined }), 'SET #owner = :me, #last_update = :now'],
  ['a take with a shard start', takeChange({ clientId: 'a', now, shardStart: '7' }), 'SET #owner = :me, #last_update = :now, #shard_start = :start'],
  [
    "a take of an older shard's state",
    takeChange({ clientId: 'a', now, shardStart: '7' }, undefined, true),
    'SET #owner = :me, #last_update = :now, #shard_start = :start REMOVE #sequence_number, #sub_sequence_number, #aggregate_sequence_number, #finished, #seek_to, #seek_after',
  ],
  [
    'a take from a heartbeat position',
    takeChange({ clientId: 'a', now, shardStart: '7' }, { sequenceNumber: '9', subSequenceNumber: 1 }),
    'SET #owner = :me, #last_update = :now, #shard_start = :start, #sequence_number = :seq, #sub_sequence_number = :sub REMOVE #aggregate_sequence_number, #seek_to, #seek_after',
  ],
  [
    'a take from a heartbeat position inside an aggregate, with kinesumer\'s checkpoint before it',
    takeChange({ clientId: 'a', now, shardStart: '7' }, { sequenceNumber: '9', subSequenceNumber: 1 }, false, '8'),
    'SET #owner = :me, #last_update = :now, #shard_start = :start, #aggregate_sequence_number = :seq, #sub_sequence_number = :sub, #sequence_number = :before REMOVE #seek_to, #seek_after',
  ],
  [
    'a commit',
    commitChange({ clientId: 'a', sequenceNumber: '9', previous: undefined, finished: false, now }),
    'SET #last_update = :now, #sequence_number = :seq REMOVE #sub_sequence_number, #aggregate_sequence_number',
  ],
  [
    'a commit inside an aggregate: kinesumer\'s checkpoint in sequence_number, the aggregate apart',
    commitChange({ clientId: 'a', sequenceNumber: '9', subSequenceNumber: 3, precedingSequenceNumber: '8', previous: undefined, finished: false, now }),
    'SET #last_update = :now, #aggregate_sequence_number = :seq, #sub_sequence_number = :sub, #sequence_number = :before',
  ],
  [
    'a commit inside an aggregate with nothing known before it (an older version\'s shape)',
    commitChange({ clientId: 'a', sequenceNumber: '9', subSequenceNumber: 3, previous: undefined, finished: false, now }),
    'SET #last_update = :now, #sequence_number = :seq, #sub_sequence_number = :sub REMOVE #aggregate_sequence_number',
  ],
  [
    'a finishing commit without a sequence number',
    commitChange({ clientId: 'a', sequenceNumber: undefined, previous: '8', finished: true, now }),
    'SET #last_update = :now, #finished = :finished',
  ],
  ['a prune takeover', positionChange({ sequenceNumber: '9' }), 'SET #sequence_number = :seq REMOVE #sub_sequence_number, #aggregate_sequence_number'],
  ['a release', RELEASE_CHANGE, 'REMOVE #owner'],
];

for (const [title, change, expression] of updates) {
  test(`shardUpdate: ${title}`, (t) => {
    t.is(shardUpdate(change).toInput().UpdateExpression, expression);
  });
}

test('shardUpdate: dates are written as ISO 8601, numbers and booleans as such', (t) => {
  const input = shardUpdate(commitChange({ clientId: 'a', sequenceNumber: '9', subSequenceNumber: 2, previous: undefined, finished: true, now })).toInput();
  t.deepEqual(input.ExpressionAttributeValues, {
    ':now': { S: '2024-03-01T00:00:00.000Z' },
    ':seq': { S: '9' },
    ':sub': { N: '2' },
    ':finished': { BOOL: true },
  });
  t.deepEqual(input.ExpressionAttributeNames, {
    '#last_update': 'last_update',
    '#sequence_number': 'sequence_number',
    '#sub_sequence_number': 'sub_sequence_number',
    '#aggregate_sequence_number': 'aggregate_sequence_number',
    '#finished': 'finished',
  });
});

test('shardUpdate: no change sets and removes one attribute (DynamoDB refuses that)', (t) => {
  const changes = [
    takeChange({ clientId: 'a', now, shardStart: '7' }, { sequenceNumber: '9', subSequenceNumber: 1 }, true, '7'),
    takeChange({ clientId: 'a', now, shardStart: '7' }, { sequenceNumber: '9' }, true, '7'),
    commitChange({ clientId: 'a', sequenceNumber: '9', subSequenceNumber: 3, precedingSequenceNumber: '8', previous: '9', finished: true, now }),
    commitChange({ clientId: 'a', sequenceNumber: '9', precedingSequenceNumber: '8', previous: '9', finished: true, now }),
  ];
  for (const change of changes) {
    const expression = shardUpdate(change).toInput().UpdateExpression;
    const [sets = '', removes = ''] = expression.replace(/^SET /, '').split(' REMOVE ');
    const set = sets.split(', ').map((part) => part.split(' = ')[0]);
    t.deepEqual(removes.split(', ').filter((name) => set.includes(name)), [], expression);
  }
});

test('shardUpdate: a seek adds one to seek atomically, sets its target and the parents it waits for, and removes the checkpoint', (t) => {
  const input = shardUpdate(seekChange({ seekTo: 'TRIM_HORIZON', seekAfter: { 'shardId-000000000000': 2 }, now })).toInput();
  t.is(input.UpdateExpression, 'SET #last_update = :now, #seek_to = :seek_to, #seek_after = :seek_after ADD #seek :one REMOVE #sequence_number, #sub_sequence_number, #aggregate_sequence_number, #finished');
  t.deepEqual(input.ExpressionAttributeValues, {
    ':now': { S: '2024-03-01T00:00:00.000Z' },
    ':seek_to': { S: 'TRIM_HORIZON' },
    ':seek_after': { M: { 'shardId-000000000000': { N: '2' } } },
    ':one': { N: '1' },
  });
});
