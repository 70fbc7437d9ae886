/**
 * The consumer group against real emulators: kinesis-local and dynalite, started on free ports
 * for this file and stopped even when a test fails.
 */
import anyTest, { type TestFn } from 'ava';
import { filter, tap, type Subscription } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { KinesumerError } from '../../src/errors.js';
import { createKinesumer, type Kinesumer } from '../../src/index.js';
import type { KinesumerRecord } from '../../src/record.js';
import {
  createStream,
  localKinesisClient,
  putRecords,
  uniqueName,
  waitFor,
} from '../helpers/aws-fixtures.js';
import { localAws } from '../helpers/emulators.js';
import { withEmulators, type EmulatorContext } from '../helpers/with-emulators.js';

const test = anyTest as TestFn<EmulatorContext>;

const TABLE = 'kinesumer-state-store';
withEmulators(test, TABLE);

const text = (r: KinesumerRecord) => new TextDecoder().decode(r.data);

function member(t: { context: EmulatorContext }, app: string, clientId: string, extra: object = {}): Kinesumer {
  return createKinesumer({
    app,
    clientId,
    kinesis: { endpoint: t.context.kinesis.endpoint, ...localAws, http1: true },
    stateStore: { table: TABLE, endpoint: t.context.dynamo.endpoint, ...localAws },
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 300, clientTimeout: 3000 },
    commit: { interval: 300 },
    polling: { idleInterval: 200 },
    ...extra,
  });
}

test('three clients share a 6-shard stream 2/2/2 and together deliver every record', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('share');
  await createStream(client, stream, 6);
  const before = await putRecords(client, stream, 'before', 600);

  const members = ['c1', 'c2', 'c3'].map((id) => member(t, 'share-app', id));
  const seen = new Map<string, number>();
  const errors: unknown[] = [];
  const subs: Subscription[] = members.map((m) => {
    m.errors$.subscribe((e) => errors.push(e));
    return m
      .consume([stream])
      .pipe(
        tap((r) => seen.set(text(r), (seen.get(text(r)) ?? 0) + 1)),
        checkpoint(m),
      )
      .subscribe();
  });
  const owned = members.map(() => [] as string[]);
  members.forEach((m, i) => m.assignment$.subscribe((a) => (owned[i] = a[stream] ?? [])));

  try {
    await waitFor(() => before.every((p) => seen.has(p)), 20_000, 'the preloaded records');
    const during = await putRecords(client, stream, 'during', 300);
    await waitFor(() => during.every((p) => seen.has(p)), 20_000, 'the records put while consuming');
    await waitFor(() => owned.every((o) => o.length === 2), 10_000, 'a 2/2/2 split');

    t.deepEqual(
      owned.flat().sort(),
      Array.from({ length: 6 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`),
      'every shard has exactly one owner',
    );
    t.is(seen.size, 900);
    // a slow emulator may time a call out (reported, retried); anything else is a failure
    const transient = (e: unknown) => e instanceof KinesumerError && e.retriable && /no answer within/.test(e.message);
    t.deepEqual(errors.filter((e) => !transient(e)), []);
  } finally {
    await Promise.all(members.map((m) => m.close()));
    subs.forEach((s) => s.unsubscribe());
  }
});

test('a restarted group resumes after its checkpoints: nothing lost, duplicates only from the uncommitted window', async (t) => {
  const client = localKinesisClient(t.context.kinesis.endpoint);
  const stream = uniqueName('resume');
  await createStream(client, stream, 4);
  const first = await putRecords(client, stream, 'r', 600);
  const index = (r: KinesumerRecord) => Number(text(r).slice(2));

  // given a group that processed every record but checkpointed only those numbered below 300
  const seenFirst = new Set<string>();
  const group1 = [member(t, 'resume-app', 'g1-a'), member(t, 'resume-app', 'g1-b')];
  const subs1 = group1.map((m) =>
    m
      .consume([stream])
      .pipe(
        tap((r) => seenFirst.add(text(r))),
        filter((r) => index(r) < 300),
        checkpoint(m),
      )
      .subscribe(),
  );
  await waitFor(() => first.every((p) => seenFirst.has(p)), 20_000, 'the first group to read everything');
  await Promise.all(group1.map((m) => m.close()));
  subs1.forEach((s) => s.unsubscribe());

  // when more records arrive and the group starts again
  const second = await putRecords(client, stream, 'n', 200);
  const seenSecond: string[] = [];
  const group2 = [member(t, 'resume-app', 'g2-a'), member(t, 'resume-app', 'g2-b')];
  const subs2 = group2.map((m) =>
    m
      .consume([stream])
      .pipe(
        tap((r) => seenSecond.push(text(r))),
        checkpoint(m),
      )
      .subscribe(),
  );
  try {
    await waitFor(() => second.every((p) => seenSecond.includes(p)), 20_000, 'the new records');
    // then it delivers the uncommitted window (300..599) and the new records, and nothing that was
    // committed. (Members that join together may both read a shard until their next sync, so a
    // record of the window can come twice: that is the at-least-once window, not a loss.)
    const expected = [...first.filter((p) => Number(p.slice(2)) >= 300), ...second].sort();
    await waitFor(() => new Set(seenSecond).size >= expected.length, 10_000, 'the uncommitted window');
    t.deepEqual([...new Set(seenSecond)].sort(), expected);
    t.deepEqual(
      seenSecond.filter((p) => p.startsWith('r-') && Number(p.slice(2)) < 300),
      [],
      'records behind the checkpoints are not delivered again',
    );
  } finally {
    await Promise.all(group2.map((m) => m.close()));
    subs2.forEach((s) => s.unsubscribe());
  }
});
