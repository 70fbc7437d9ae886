/** The view a round emits, from its membership and what it read of each stream. */
import test from 'ava';
import { givenUpView, roundView, type GroupView } from '../../src/group/group-view.js';
import type { StreamSnapshot } from '../../src/group/shard-lineage.js';

const snapshot = (...ids: string[]): StreamSnapshot => ({ shards: ids.map((id) => ({ id, closed: false })), states: new Map() });

test('each stream read is split among the clients by this client index', (t) => {
  const s = snapshot('0', '1', '2', '3');
  t.deepEqual(roundView({ clients: ['a', 'b'], index: 1, leader: false, at: 5 }, [['s', s]], undefined, false), {
    clients: ['a', 'b'],
    index: 1,
    leader: false,
    assignment: { s: ['2', '3'] },
    streams: { s },
    at: 5,
  });
});

test('a stream not read keeps the previous snapshot and assignment, while this client is among the clients; one that does not exist is left out', (t) => {
  const previous: GroupView = { clients: ['a'], index: 0, leader: true, assignment: { s: ['0'], t: ['9'] }, streams: { s: snapshot('0'), t: snapshot('9') }, at: 0 };
  const readings = [['s', undefined], ['t', null], ['u', undefined]] as const;
  t.deepEqual(roundView({ clients: ['a', 'b'], index: 0, leader: true, at: 5 }, readings, previous, false), {
    clients: ['a', 'b'],
    index: 0,
    leader: true,
    assignment: { s: ['0'] },
    streams: { s: snapshot('0') },
    at: 5,
  });
  t.deepEqual(roundView({ clients: ['b'], index: -1, leader: false, at: 5 }, readings, previous, false).streams, {});
});

test('a client that gives up holds nothing and leads nobody', (t) => {
  t.deepEqual(givenUpView(7), { clients: [], index: -1, leader: false, assignment: {}, streams: {}, at: 7 });
});
