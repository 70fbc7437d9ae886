/** Whether a described table can hold the state store, and what is said when it cannot. */
import test from 'ava';
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { stateTableDefinition } from '../../../src/state-store/dynamodb/create-table.js';
import { schemaProblems, tableProblem } from '../../../src/state-store/dynamodb/schema-problems.js';

const good = stateTableDefinition('t') as TableDescription;

test('the table createStateTable makes has no problem, ACTIVE or UPDATING', (t) => {
  t.deepEqual(schemaProblems(good), []);
  t.is(tableProblem({ ...good, TableStatus: 'ACTIVE' }, 'table "t"'), undefined);
  t.is(tableProblem({ ...good, TableStatus: 'UPDATING' }, 'table "t"'), undefined);
});

test('a table still CREATING is a retriable problem; one DELETING is not', (t) => {
  const creating = tableProblem({ ...good, TableStatus: 'CREATING' }, 'table "t"');
  t.is(creating?.message, 'State store ready failed: table "t" is still CREATING');
  t.true(creating?.retriable);
  const deleting = tableProblem({ ...good, TableStatus: 'DELETING' }, 'table "t"');
  t.is(deleting?.message, 'State store ready failed: table "t" is DELETING, not ACTIVE');
  t.false(deleting?.retriable);
});

const schemas: [title: string, table: TableDescription, problems: string[]][] = [
  ['no keys at all', {}, ['the key schema is (none), not (pk HASH, sk RANGE)', 'the local secondary index "index-client-key-last-update" is missing']],
  [
    'keys swapped',
    { ...good, KeySchema: [{ AttributeName: 'sk', KeyType: 'HASH' }, { AttributeName: 'pk', KeyType: 'RANGE' }] },
    ['the key schema is (sk HASH, pk RANGE), not (pk HASH, sk RANGE)'],
  ],
  ['a number key', { ...good, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'N' }] }, ['attribute pk has type N, not S']],
  ['no index', { ...good, LocalSecondaryIndexes: [] }, ['the local secondary index "index-client-key-last-update" is missing']],
  [
    'an index on another attribute',
    { ...good, LocalSecondaryIndexes: [{ IndexName: 'index-client-key-last-update', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'x', KeyType: 'RANGE' }] }] },
    ['the index "index-client-key-last-update" has keys (pk HASH, x RANGE), not (pk HASH, last_update RANGE)'],
  ],
];

for (const [title, table, problems] of schemas) {
  test(`schemaProblems: ${title}`, (t) => {
    t.deepEqual(schemaProblems(table), problems);
  });
}

test('a schema problem names everything expected', (t) => {
  const problem = tableProblem({ ...good, LocalSecondaryIndexes: [] }, 'table "t" (region x)');
  t.regex(problem?.message ?? '', /^State store ready failed: table "t" \(region x\) does not have kinesumer's state-store schema: the local secondary index "index-client-key-last-update" is missing\. Expected keys pk \(HASH, S\)/);
  t.false(problem?.retriable);
});
