/**
 * The codec builders of the configuration, on small codecs of their own: friendly refinements,
 * closed options objects, rules across fields, and the edit distance behind
 * "did you mean".
 */
import test from 'ava';
import { isLeft } from 'fp-ts/lib/Either.js';
import * as io from 'io-ts';
import { closed, distance, friendly, withRule } from '../../src/config/combinators.js';
import { toProblems } from '../../src/config/reporter.js';

/** The problem messages of decoding `u` with `codec`, or `[]` when it decodes. */
function messages(codec: io.Decoder<unknown, unknown>, u: unknown): string[] {
  const result = codec.decode(u);
  return isLeft(result) ? toProblems(result.left).map((p) => p.message) : [];
}

interface EvenBrand {
  readonly Even: unique symbol;
}
const Even = friendly(
  io.brand(io.Int, (n): n is io.Branded<io.Int, EvenBrand> => n % 2 === 0, 'Even'),
  io.number,
  'an even integer',
);
const Root = (props: io.Props) => closed('Root', {}, props);

test('distance is the Levenshtein distance', (t) => {
  t.is(distance('group', 'group'), 0);
  t.is(distance('', 'abc'), 3);
  t.is(distance('abc', ''), 3);
  t.is(distance('gruop', 'group'), 2);
  t.is(distance('kitten', 'sitting'), 3);
  t.is(distance('polling', 'poling'), 1);
});

test('friendly: the wrong type is "Expecting <base>", the right type breaking the rule "Invalid value"', (t) => {
  const codec = Root({ n: Even });
  t.deepEqual(messages(codec, { n: 'two' }), ['Expecting number at Root.n but instead got: "two"']);
  t.deepEqual(messages(codec, { n: 3 }), ['Invalid value 3 for Root.n - Expected an even integer']);
  t.deepEqual(messages(codec, { n: 2.5 }), ['Invalid value 2.5 for Root.n - Expected an even integer']);
  t.deepEqual(messages(codec, { n: 4 }), []);
  t.is(Even.name, 'Even');
});

test('closed: a value that is not an object is one problem at the object itself', (t) => {
  t.deepEqual(messages(Root({ a: io.string }), 'text'), ['Expecting object at Root but instead got: "text"']);
  t.deepEqual(messages(Root({ a: io.string }), null), ['Expecting object at Root but instead got: null']);
});

test('closed: required keys are required, optional ones may be missing or undefined', (t) => {
  const codec = closed('Root', { table: io.string }, { region: io.string });
  t.deepEqual(messages(codec, {}), ['Expecting string at Root.table but instead got: undefined']);
  t.deepEqual(messages(codec, { table: 't', region: undefined }), []);
  t.true(codec.is({ table: 't' }));
  t.false(codec.is({}));
});

test('closed: unknown keys are named with the accepted ones, their values never shown', (t) => {
  const codec = closed('Root', { table: io.string }, { region: io.string });
  t.deepEqual(messages(codec, { table: 't', secret: 'AKIAIOSFODNN7EXAMPLE' }), [
    'Unknown key Root.secret (accepted keys: table, region)',
  ]);
  t.false(codec.is({ table: 't', secret: 'x' }));
});

test('closed: a key that differs in case or by at most two edits gets a suggestion', (t) => {
  const codec = Root({ syncInterval: io.number, region: io.string });
  t.deepEqual(messages(codec, { SYNCINTERVAL: 1 }), [
    'Unknown key Root.SYNCINTERVAL - did you mean Root.syncInterval? (accepted keys: syncInterval, region)',
  ]);
  t.deepEqual(messages(codec, { regoin: 'x' }), ['Unknown key Root.regoin - did you mean Root.region? (accepted keys: syncInterval, region)']);
  // three edits away: no suggestion
  t.deepEqual(messages(codec, { rgn: 'x' }), ['Unknown key Root.rgn (accepted keys: syncInterval, region)']);
});

test('closed: unknown keys are reported before the problems of known ones, all at once', (t) => {
  const codec = Root({ n: Even });
  t.deepEqual(messages(codec, { n: 3, m: 1 }), [
    'Unknown key Root.m - did you mean Root.n? (accepted keys: n)',
    'Invalid value 3 for Root.n - Expected an even integer',
  ]);
});

test('withRule: the rule runs only once every field is valid, and is() agrees with it', (t) => {
  let ran = 0;
  const codec = withRule(closed('Range', {}, { low: io.number, high: io.number }), (range, c) => {
    ran += 1;
    const low = range.low ?? 0;
    const high = range.high ?? 10;
    return high >= low ? [] : [{ value: range, context: c, message: `high ${high} below low ${low}` }];
  });
  t.deepEqual(messages(codec, { low: 'x', high: 1 }), ['Expecting number at Range.low but instead got: "x"']);
  t.is(ran, 0);
  t.deepEqual(messages(codec, { low: 5, high: 1 }), ['high 1 below low 5']);
  t.deepEqual(messages(codec, { low: 5 }), []);
  t.false(codec.is({ low: 5, high: 1 }));
  t.true(codec.is({ low: 1, high: 5 }));
  t.is(codec.name, 'Range');
});

