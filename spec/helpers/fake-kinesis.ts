import type { _Record } from '@aws-sdk/client-kinesis';
import { NEVER, concat, defer, map, of, tap, throwError, zip, type Observable } from 'rxjs';
import type { RunHelpers } from 'rxjs/testing';
type ColdObservable<T> = Observable<T> & { subscriptions: ReturnType<RunHelpers['cold']>['subscriptions'] };
import type { EfoKinesisApi, KinesisApi, RecordsPage, ShardDescription, ShardEvent, StartPosition } from '../../src/kinesis/kinesis-api.js';

/** A call the fake saw. */
export interface FakeCall {
  at: number;
  op: 'listShards' | 'getShardIterator' | 'getRecords';
  stream: string;
  shardId?: string;
  position?: StartPosition;
}

/**
 * A scripted Kinesis seam for marble tests that need what real Kinesis cannot do: pages queued
 * exactly as given, and shard lists set at will (a shard appearing without a parent). Ordinary
 * specs use the public test kit instead (`FakeKinesis` of `rx-kinesumer/testing`, through
 * `kit.ts`). Each shard's iterator is a cold Observable that emits once and never completes, so
 * its subscription lasts exactly as long as that shard's reader: the tests read reader start and
 * stop frames from `iterator(stream, shardId).subscriptions`. GetRecords serves the shard's
 * queued pages, then empty pages at the tip.
 */
export class FakeKinesis implements KinesisApi {
  readonly calls: FakeCall[] = [];
  private readonly iterators = new Map<string, ColdObservable<string>>();
  private readonly pages = new Map<string, RecordsPage[]>();

  constructor(
    /** Marble helpers; without them (real-time tests) iterators are plain Observables. */
    private readonly helpers: RunHelpers | undefined,
    private readonly now: () => number,
    public shards: Record<string, ShardDescription[]>,
  ) {}

  iterator(stream: string, shardId: string): ColdObservable<string> {
    const key = `${stream}/${shardId}`;
    let cold = this.iterators.get(key);
    if (!cold) {
      cold = this.helpers
        ? this.helpers.cold<string>('a', { a: `${key}#it` })
        : Object.assign(concat(of(`${key}#it`), NEVER), { subscriptions: [] });
      this.iterators.set(key, cold);
    }
    return cold;
  }

  /** Queues a page of records for a shard; `null` next iterator ends the shard. */
  queue(stream: string, shardId: string, records: _Record[], options: { end?: boolean; millisBehindLatest?: number } = {}): void {
    const key = `${stream}/${shardId}`;
    const list = this.pages.get(key) ?? [];
    list.push({
      records,
      nextShardIterator: options.end ? undefined : `${key}#it`,
      millisBehindLatest: options.millisBehindLatest ?? 0,
    });
    this.pages.set(key, list);
  }

  listShards(stream: string): Observable<ShardDescription[]> {
    return defer(() => {
      this.calls.push({ at: this.now(), op: 'listShards', stream });
      return of((this.shards[stream] ?? []).map((s) => ({ ...s })));
    });
  }

  getShardIterator(stream: string, shardId: string, position: StartPosition): Observable<string> {
    return defer(() => {
      this.calls.push({ at: this.now(), op: 'getShardIterator', stream, shardId, position });
      return this.iterator(stream, shardId);
    });
  }

  getRecords(stream: string, shardId: string): Observable<RecordsPage> {
    return defer(() => {
      this.calls.push({ at: this.now(), op: 'getRecords', stream, shardId });
      const next = this.pages.get(`${stream}/${shardId}`)?.shift();
      return of(next ?? { records: [], nextShardIterator: `${stream}/${shardId}#it`, millisBehindLatest: 0 });
    });
  }
}

/** Open shards `shardId-000000000000` ... for a fake stream. */
export function openShards(count: number): ShardDescription[] {
  return Array.from({ length: count }, (_, i) => ({
    shardId: `shardId-${String(i).padStart(12, '0')}`,
    parentShardId: undefined,
    adjacentParentShardId: undefined,
    closed: false,
    startingSequenceNumber: undefined,
  }));
}

/** Kinesis-like records with increasing sequence numbers. */
export function makeRecords(shardIndex: number, from: number, count: number, key = 'pk'): _Record[] {
  return Array.from({ length: count }, (_, i) => ({
    SequenceNumber: `4959${String(shardIndex).padStart(4, '0')}${String(from + i).padStart(20, '0')}`,
    PartitionKey: `${key}-${from + i}`,
    Data: new TextEncoder().encode(`record ${from + i}`),
    ApproximateArrivalTimestamp: new Date(0),
  }));
}

// ---------------------------------------------------------------------------------------------
// Enhanced fan-out

/** A SubscribeToShard call the scripted seam saw. */
export interface SubscribeCall {
  at: number;
  stream: string;
  shardId: string;
  consumerArn: string;
  position: StartPosition;
}

/**
 * A scripted enhanced fan-out seam for marble tests (promises and async iterables do not run on
 * virtual time, so the event stream is a cold Observable here). The n-th SubscribeToShard call
 * plays `script[n]`: its events, then completion (Kinesis ended the subscription) or an error.
 * Like the SDK seam, it hands out one event per emission of the reader's `demand$`: an event
 * nobody asked for waits (in the connection, on the real one). Once the script is used up, a
 * call gets a subscription that never sends anything. GetShardIterator and GetRecords (the
 * reader's end-of-shard check) answer from `pages`, logged in `calls` too.
 */
export function scriptedEfo(
  now: () => number,
  script: Array<Observable<ShardEvent>>,
  pages: RecordsPage[] = [],
): {
  kinesis: EfoKinesisApi & Pick<KinesisApi, 'getShardIterator' | 'getRecords'>;
  subscribes: SubscribeCall[];
  /** Times the reader asked for an event. */
  demands: number[];
  calls: Array<{ at: number; op: string; position?: StartPosition }>;
} {
  const subscribes: SubscribeCall[] = [];
  const demands: number[] = [];
  const calls: Array<{ at: number; op: string; position?: StartPosition }> = [];
  const unused = () => throwError(() => new Error('not scripted'));
  const kinesis = {
    describeStreamSummary: unused,
    registerStreamConsumer: unused,
    describeStreamConsumer: unused,
    deregisterStreamConsumer: unused,
    subscribeToShard: (stream: string, shardId: string, consumerArn: string, position: StartPosition, demand$: Observable<unknown>) =>
      defer(() => {
        const n = subscribes.length;
        subscribes.push({ at: now(), stream, shardId, consumerArn, position });
        const events = script[n] ?? NEVER;
        return zip(events, demand$.pipe(tap(() => demands.push(now())))).pipe(map(([event]) => event));
      }),
    getShardIterator: (_stream: string, _shardId: string, position: StartPosition) =>
      defer(() => {
        calls.push({ at: now(), op: 'getShardIterator', position });
        return of('check-it');
      }),
    getRecords: () =>
      defer(() => {
        calls.push({ at: now(), op: 'getRecords' });
        return of(pages.shift() ?? { records: [], nextShardIterator: 'more', millisBehindLatest: 0 });
      }),
  };
  return { kinesis, subscribes, demands, calls };
}

/**
 * A SubscribeToShard event with one record per letter of `keys` (partition key = letter, sequence
 * number `seq-<letter>`). The continuation defaults to the last record's sequence number (`seq-0`
 * for an empty event); `end: true` makes it a closed shard's last event (`ChildShards`, no
 * continuation).
 */
export function shardEvent(keys: string, options: { continuation?: string; millisBehindLatest?: number; end?: boolean } = {}): ShardEvent {
  const records: _Record[] = [...keys].map((key) => ({
    SequenceNumber: `seq-${key}`,
    PartitionKey: key,
    Data: new TextEncoder().encode(key),
    ApproximateArrivalTimestamp: new Date(0),
  }));
  return {
    records,
    continuationSequenceNumber: options.end ? undefined : (options.continuation ?? `seq-${keys[keys.length - 1] ?? '0'}`),
    millisBehindLatest: options.millisBehindLatest ?? 0,
    childShards: options.end ? [{ shardId: 'shardId-000000000009', parentShards: ['shardId-000000000000'] }] : undefined,
  };
}
