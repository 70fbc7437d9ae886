/** Sequence-number arithmetic and the heartbeat's position encoding. */
import test from 'ava';
import { compareSequenceNumbers, decodePosition, encodePosition, isAfterPosition, positionOf } from '../src/position.js';

test('sequence numbers compare as big integers', (t) => {
  t.is(compareSequenceNumbers('9', '10'), -1);
  t.is(compareSequenceNumbers('49680580299888846110373644099512833039902024347326349314', '49680580299888846110373644099512833039902024347326349313'), 1);
  t.is(compareSequenceNumbers('12', '12'), 0);
});

test('a position is after another by sequence number, then inside an aggregate by sub-sequence', (t) => {
  t.true(isAfterPosition('5', undefined, undefined, undefined), 'anything is after no position');
  t.true(isAfterPosition('10', undefined, '9', undefined));
  t.false(isAfterPosition('9', undefined, '10', undefined));
  t.false(isAfterPosition('7', undefined, '7', undefined), 'the same whole record');
  t.true(isAfterPosition('7', 3, '7', 2), 'further into the aggregate');
  t.false(isAfterPosition('7', 2, '7', 3));
  t.true(isAfterPosition('7', undefined, '7', 3), 'the whole aggregate is after a part of it');
  t.false(isAfterPosition('7', 3, '7', undefined), 'a part is not after the whole');
});

test('positions encode as seq or seq/sub and decode back; anything else is not a position', (t) => {
  t.is(encodePosition(positionOf('123', undefined)), '123');
  t.is(encodePosition(positionOf('123', 4)), '123/4');
  t.deepEqual(decodePosition('123'), { sequenceNumber: '123' });
  t.deepEqual(decodePosition('123/0'), { sequenceNumber: '123', subSequenceNumber: 0 });
  for (const bad of ['', '0123', '12/', '12/-1', '12/01', 'abc', '1/99999999999999999999', 12, undefined, null]) {
    t.is(decodePosition(bad), undefined, JSON.stringify(bad));
  }
});
