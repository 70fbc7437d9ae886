/** One shard's progress: marks, completeness, what an item write carries, and what a landed write or heartbeat counts. */
import test from 'ava';
import { ShardProgress } from '../../src/checkpoint/shard-progress.js';

const owner = {};
const fresh = () => new ShardProgress(owner, 's', 'shardId-0', undefined, undefined);

test('marks only move forward, and count the records up to the marked one', (t) => {
  const p = fresh();
  p.pageDelivered(3, '30');
  t.is(p.inFlight, 3);
  p.mark('20', undefined, 1);
  t.is(p.reached, 2);
  t.is(p.inFlight, 1);
  p.mark('10', undefined, 0); // a reordered pipeline: ignored
  t.is(p.reached, 2);
  t.deepEqual(p.beatPosition, { sequenceNumber: '20' });
  p.mark('30', undefined, 2);
  t.is(p.inFlight, 0);
});

test('a shard is complete when it ended and its last delivered record is marked whole; mark() says when that happens', (t) => {
  const p = fresh();
  p.pageDelivered(2, '20');
  t.false(p.readerEnded(), 'not every record is marked');
  t.false(p.mark('20', 0, 0), 'only part of an aggregate');
  t.false(p.complete);
  t.true(p.mark('20', undefined, 1));
  t.true(p.complete);
  t.true(p.dirty);
  t.true(p.itemCommit().finishing);
  const empty = fresh();
  t.true(empty.readerEnded(), 'a shard that ended with no record is complete at once');
});

test('once the shard leaves this client, marks do nothing and lost$ completes', (t) => {
  const p = fresh();
  let lost = 0;
  let ended = false;
  p.lost$.subscribe({ next: () => lost++, complete: () => (ended = true) });
  p.pageDelivered(1, '10');
  p.stopMarking();
  p.mark('10', undefined, 0);
  t.is(p.reached, 0);
  t.is(p.beatPosition, undefined);
  p.left();
  t.deepEqual([lost, ended], [0, true]);
  const q = fresh();
  let qLost = 0;
  q.lost$.subscribe(() => qLost++);
  q.wasLost();
  t.is(qLost, 1);
});

test('an item write carries the marks and the stored checkpoint as its fence; once written, the stored one moves', (t) => {
  const p = new ShardProgress(owner, 's', 'shardId-0', '5', '5');
  t.false(p.dirty);
  p.pageDelivered(2, '20');
  p.mark('10', undefined, 0);
  const commit = p.itemCommit();
  t.deepEqual(commit, { sequenceNumber: '10', subSequenceNumber: undefined, precedingSequenceNumber: undefined, previous: '5', seek: 0, finishing: false, reached: 1 });
  p.mark('20', undefined, 1); // marked while the write is in flight: the next write's
  t.deepEqual(p.itemWritten(commit), { committed: 1, finished: false });
  t.is(p.itemCommit().previous, '10');
  t.true(p.dirty);
});

test('a position a heartbeat already committed is not counted again by the item write', (t) => {
  const p = fresh();
  p.pageDelivered(1, '10');
  p.mark('10', undefined, 0);
  t.is(p.beatLanded('10', 1), 1);
  t.false(p.movedSinceBeat);
  t.deepEqual(p.itemWritten(p.itemCommit()), { committed: undefined, finished: false });
});

test('after a failed fence, only a checkpoint this client wrote without hearing back counts as its own', (t) => {
  const p = fresh();
  p.pageDelivered(1, '10');
  p.mark('10', undefined, 0);
  const commit = p.itemCommit();
  t.false(p.hasUnconfirmed);
  p.itemUnconfirmed(commit);
  t.true(p.hasUnconfirmed);
  t.false(p.landedEarlier('99'), 'somebody else wrote 99');
  t.true(p.landedEarlier('10'));
  t.is(p.itemCommit().previous, '10');
  t.false(p.hasUnconfirmed);
});

test('a reader waiting for room is let through once a mark brings the in-flight records down to the threshold', (t) => {
  const p = fresh();
  p.pageDelivered(10, '100');
  let through = 0;
  p.roomBelow(4).subscribe(() => through++);
  p.mark('50', undefined, 4); // 5 in flight
  t.is(through, 0);
  p.mark('60', undefined, 5); // 4 in flight
  t.is(through, 1);
});
