/**
 * The bounds of the single-value codecs, at their edges: the last value accepted and the first
 * rejected. resolve-config.spec.ts checks the messages of typical bad values; these pin where
 * each rule starts and ends, including the STS fields it does not reach.
 */
import test from 'ava';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import type * as io from 'io-ts';
import {
  AppName,
  ClientId,
  ConsumerName,
  Endpoint,
  ExternalId,
  IdleInterval,
  MaxInFlight,
  Region,
  RoleArn,
  ScanLimit,
  SessionName,
  TableName,
} from '../../src/config/field-codecs.js';
import { toProblems } from '../../src/config/reporter.js';

const bounds: Array<[string, io.Decoder<unknown, unknown>, unknown[], unknown[]]> = [
  ['AppName', AppName, ['a', 'x'.repeat(100)], ['', 'x'.repeat(101), 'a#b']],
  ['ClientId', ClientId, ['h', `host-${'x'.repeat(300)}`], ['', 'host#1']],
  ['Region', Region, ['r', 'eu-west-1'], ['']],
  ['ScanLimit', ScanLimit, [1, 10000], [0, 10001, 1.5]],
  ['IdleInterval', IdleInterval, [200, 60000], [199, 200.5]],
  ['MaxInFlight', MaxInFlight, [1, 1e6], [0, -1, 0.5]],
  ['Endpoint', Endpoint, ['http://localhost:4567', 'https://kinesis.eu-west-1.amazonaws.com'], ['ws://localhost', 'localhost:4567']],
  [
    'RoleArn',
    RoleArn,
    ['arn:aws:iam::123456789012:role/reader', 'arn:aws-cn:iam::123456789012:role/path/reader'],
    ['arn:aws:iam::123456789012:role/', 'arn:aws:iam::1234567890123:role/reader', 'arn:aws:sts::123456789012:role/reader'],
  ],
  ['ExternalId', ExternalId, ['ab', 'x'.repeat(1224), 'a+=,.@:/-_b'], ['a', 'x'.repeat(1225), 'with space', 'semi;colon']],
  ['SessionName', SessionName, ['ab', 'x'.repeat(64), 'a+=,.@-_b'], ['a', 'x'.repeat(65), 'a/b', 'a:b']],
  ['TableName', TableName, ['abc', 'x'.repeat(255), 'a_b.c-d'], ['ab', 'x'.repeat(256), 'a b', 'a/b']],
  ['ConsumerName', ConsumerName, ['a', 'x'.repeat(128), 'a_b.c-d'], ['', 'x'.repeat(129), 'a:b']],
];

for (const [name, codec, accepted, rejected] of bounds) {
  test(`${name} accepts its edge values and rejects the ones just past them`, (t) => {
    for (const value of accepted) t.true(isRight(codec.decode(value)), `${name} should accept ${String(value).slice(0, 40)}`);
    for (const value of rejected) {
      const result = codec.decode(value);
      t.true(isLeft(result), `${name} should reject ${String(value).slice(0, 40)}`);
      if (isLeft(result)) t.regex(toProblems(result.left)[0]?.message ?? '', /^Invalid value /);
    }
  });
}

test('a value of the wrong type is "Expecting", not "Invalid value"', (t) => {
  for (const [name, codec, [good]] of bounds) {
    const wrong = typeof good === 'number' ? String(good) : 7;
    const result = codec.decode(wrong);
    t.true(isLeft(result), name);
    if (isLeft(result)) t.regex(toProblems(result.left)[0]?.message ?? '', /^Expecting (number|string) at /, name);
  }
});
