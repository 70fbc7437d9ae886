/**
 * The io-ts reporter of the configuration: how a context becomes a dotted path, how a value is
 * shown (and when it is hidden), and how io-ts errors become problems. resolve-config.spec.ts
 * checks whole messages; these pin the rules underneath them.
 */
import test from 'ava';
import * as io from 'io-ts';
import { expecting, invalid, kindOf, pathOf, show, toProblems } from '../../src/config/reporter.js';

/** A context from the root codec `Config` down through `keys`. */
function at(...keys: string[]): io.Context {
  const root: io.ContextEntry = { key: '', type: io.type({}, 'Config'), actual: {} };
  return [root, ...keys.map((key) => ({ key, type: io.unknown, actual: undefined }))];
}

// ---------------------------------------------------------------------------------------------
// pathOf

test('a path starts with the root codec name and joins the keys with dots', (t) => {
  t.is(pathOf(at()), 'Config');
  t.is(pathOf(at('group', 'syncInterval')), 'Config.group.syncInterval');
});

test('the member indexes that intersections and unions add are left out of a path', (t) => {
  // t.intersection([io.type, t.partial]) adds '0' or '1' before the field's key
  t.is(pathOf(at('0', 'group', '1', 'syncInterval')), 'Config.group.syncInterval');
});

test('a root codec named by digits keeps its name', (t) => {
  const c: io.Context = [{ key: '', type: io.type({}, '42'), actual: {} }];
  t.is(pathOf(c), '42');
});

// ---------------------------------------------------------------------------------------------
// kindOf and show

test('kindOf names a value by its kind, with the right article', (t) => {
  class StateTable {}
  const kinds: Array<[unknown, string]> = [
    [null, 'null'],
    [undefined, 'undefined'],
    [[1, 2], 'an array'],
    [new Date(0), 'a Date'],
    [{ a: 1 }, 'an object'],
    [Object.create(null), 'an object'],
    [new StateTable(), 'an instance of StateTable'],
    ['text', 'a string'],
    [1, 'a number'],
    [1n, 'a bigint'],
    [true, 'a boolean'],
    [() => 1, 'a function'],
    [Symbol('s'), 'a symbol'],
  ];
  for (const [value, kind] of kinds) t.is(kindOf(value), kind, kind);
});

test('show gives primitives by value and objects by kind only', (t) => {
  const c = at('x');
  t.is(show('eu-west-1', c), '"eu-west-1"');
  t.is(show(12, c), '12');
  t.is(show(false, c), 'false');
  t.is(show(5n, c), '5');
  t.is(show(undefined, c), 'undefined');
  t.is(show(null, c), 'null');
  t.is(show(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), c), '2024-01-02T03:04:05.000Z');
  t.is(show(new Date(Number.NaN), c), 'Invalid Date');
  t.is(show({ accessKeyId: 'AKIAEXAMPLE' }, c), 'an object');
});

test('show cuts a string longer than 60 characters to 57 and an ellipsis', (t) => {
  const c = at('app');
  const sixty = 'a'.repeat(60);
  t.is(show(sixty, c), JSON.stringify(sixty));
  t.is(show(`${sixty}b`, c), JSON.stringify(`${'a'.repeat(57)}...`));
});

test('anything under credentials is shown by kind only, marked hidden', (t) => {
  t.is(show('AKIAIOSFODNN7EXAMPLE', at('kinesis', 'credentials', 'accessKeyId')), 'a string (hidden)');
  t.is(show(7, at('stateStore', 'credentials')), 'a number (hidden)');
  t.is(show({ nested: 'secret' }, at('kinesis', 'credentials')), 'an object (hidden)');
  // nothing to hide
  t.is(show(undefined, at('kinesis', 'credentials', 'sessionToken')), 'undefined');
  t.is(show(null, at('kinesis', 'credentials')), 'null');
});

test('expecting and invalid use the io-ts-reporters and Hardhat wordings', (t) => {
  t.is(expecting('string', 3, at('app')), 'Expecting string at Config.app but instead got: 3');
  t.is(invalid(0, at('polling', 'scanLimit'), 'a positive integer'), 'Invalid value 0 for Config.polling.scanLimit - Expected a positive integer');
});

// ---------------------------------------------------------------------------------------------
// toProblems

test('an io-ts error without a message gets the io-ts-reporters wording, named after the innermost codec', (t) => {
  const c: io.Context = [...at('group'), { key: 'syncInterval', type: io.number, actual: 'fast' }];
  t.deepEqual(toProblems([{ value: 'fast', context: c }]), [
    { path: 'Config.group.syncInterval', message: 'Expecting number at Config.group.syncInterval but instead got: "fast"' },
  ]);
});

test('the same message twice (one value failing both members of a union) is one problem', (t) => {
  const c = at('region');
  const message = expecting('string', 1, c);
  const other = expecting('string', 2, at('clientId'));
  t.deepEqual(
    toProblems([
      { value: 1, context: c, message },
      { value: 1, context: c, message },
      { value: 2, context: at('clientId'), message: other },
    ]),
    [
      { path: 'Config.region', message },
      { path: 'Config.clientId', message: other },
    ],
  );
});
