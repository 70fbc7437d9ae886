/** The UpdateExpression builder: actions, and exactly the names and values they use. */
import test from 'ava';
import { UpdateExpression, and } from '../../../src/state-store/dynamodb/update-expression.js';

const OWNED = { expression: '#owner = :me', names: { '#owner': 'owner' }, values: { ':me': 'a' } };

test('SET actions, in order, with a placeholder named after the attribute unless given', (t) => {
  const input = new UpdateExpression().set('last_update', 'now-ish').set('owner', 'a', 'me').toInput();
  t.deepEqual(input, {
    UpdateExpression: 'SET #last_update = :last_update, #owner = :me',
    ExpressionAttributeNames: { '#last_update': 'last_update', '#owner': 'owner' },
    ExpressionAttributeValues: { ':last_update': { S: 'now-ish' }, ':me': { S: 'a' } },
  });
});

test('REMOVE actions come after SET, each attribute once', (t) => {
  const input = new UpdateExpression().remove('digests').set('last_update', 'x').remove('checkpoints').remove('digests').toInput();
  t.is(input.UpdateExpression, 'SET #last_update = :last_update REMOVE #digests, #checkpoints');
  t.deepEqual(input.ExpressionAttributeNames, { '#last_update': 'last_update', '#digests': 'digests', '#checkpoints': 'checkpoints' });
});

test('REMOVE alone has no values at all (DynamoDB refuses an empty value map)', (t) => {
  const input = new UpdateExpression().remove('owner').toInput();
  t.deepEqual(input, { UpdateExpression: 'REMOVE #owner', ExpressionAttributeNames: { '#owner': 'owner' } });
  t.false('ExpressionAttributeValues' in input);
  t.false('ConditionExpression' in input);
});

test("a condition's names and values join the update's", (t) => {
  const input = new UpdateExpression().remove('owner').when(OWNED).toInput();
  t.deepEqual(input, {
    UpdateExpression: 'REMOVE #owner',
    ConditionExpression: '#owner = :me',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: { ':me': { S: 'a' } },
  });
});

test('values are marshalled: maps, numbers, booleans', (t) => {
  const input = new UpdateExpression().set('checkpoints', { s: { x: '1/2' } }).set('sub', 3).set('finished', true).toInput();
  t.deepEqual(input.ExpressionAttributeValues, {
    ':checkpoints': { M: { s: { M: { x: { S: '1/2' } } } } },
    ':sub': { N: '3' },
    ':finished': { BOOL: true },
  });
});

test('marshalling options are passed on', (t) => {
  const entries = [{ ID: 'x', Closed: false, ParentShardId: undefined }];
  t.throws(() => new UpdateExpression().set('shards', entries).toInput());
  const input = new UpdateExpression({ removeUndefinedValues: true }).set('shards', entries).toInput();
  t.deepEqual(input.ExpressionAttributeValues, { ':shards': { L: [{ M: { ID: { S: 'x' }, Closed: { BOOL: false } } }] } });
});

test('one placeholder may stand for one value twice, never for two values', (t) => {
  const start = { expression: '#shard_start = :start', names: { '#shard_start': 'shard_start' }, values: { ':start': '7' } };
  t.notThrows(() => new UpdateExpression().set('shard_start', '7', 'start').when(start).toInput());
  t.throws(() => new UpdateExpression().set('shard_start', '8', 'start').when(start), { message: ':start stands for two values' });
  t.throws(() => new UpdateExpression().set('a', 1, 'x').set('b', 2, 'x'), { message: ':x stands for two values' });
});

test('one name may not stand for two attributes', (t) => {
  t.throws(() => new UpdateExpression().set('owner', 'a', 'me').when({ expression: '#owner = :o', names: { '#owner': 'other' }, values: { ':o': 'a' } }), {
    message: '#owner names both owner and other',
  });
});

test('and() joins conditions with AND, and their names and values', (t) => {
  const notFinished = { expression: '(attribute_not_exists(#finished) OR #finished = :false)', names: { '#finished': 'finished' }, values: { ':false': false } };
  t.deepEqual(and(OWNED, notFinished), {
    expression: '#owner = :me AND (attribute_not_exists(#finished) OR #finished = :false)',
    names: { '#owner': 'owner', '#finished': 'finished' },
    values: { ':me': 'a', ':false': false },
  });
  t.deepEqual(and(OWNED), OWNED);
});
