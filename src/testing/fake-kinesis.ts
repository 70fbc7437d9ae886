/**
 * {@link FakeKinesis}: an in-memory Kinesis for marble tests of a consumer, on virtual time. It
 * implements the library's polling seam ({@link KinesisApi}), so `createKinesumer({ kinesis })`
 * takes it as it is, and it answers on the given scheduler.
 */
import { Observable, Subscription, defer, mergeMap, of, throwError, timer, type SchedulerLike } from 'rxjs';
import { KinesumerError } from '../errors.js';
import type { KinesisApi, RecordsPage, ShardDescription, StartPosition } from '../kinesis/kinesis-api.js';
import { toKinesisError } from '../kinesis/kinesis-errors.js';
import { FakeStream, hashKeyOf, type FakeShard, type FakeShardDescription } from './fake-stream.js';

export type { FakeShardDescription } from './fake-stream.js';

/** Options of {@link FakeKinesis}. */
export interface FakeKinesisOptions {
  /** The scheduler every answer comes on: the test's `TestScheduler`, or the consumer's. */
  scheduler: SchedulerLike;
  /** How long each call takes to answer, ms. Default 0: answers come in the frame of the call. */
  latency?: number;
}

/** A record to put: `data` as a string (UTF-8) or bytes. */
export interface FakePutRecord {
  partitionKey: string;
  data: string | Uint8Array;
  /** Routes the record by this hash key (a decimal 128-bit number) instead of the partition key's MD5. */
  explicitHashKey?: string;
}

/** Where a put record went, as PutRecord answers. */
export interface FakePutResult {
  shardId: string;
  sequenceNumber: string;
}

/** One call the fake answered, in order. */
export interface FakeCall {
  /** `scheduler.now()` when the call was made. */
  at: number;
  op: 'listShards' | 'getShardIterator' | 'getRecords';
  stream: string;
  shardId?: string;
  position?: StartPosition;
  limit?: number;
}

/** When a reader of a shard started and stopped, in the shape `expectSubscriptions` reads. */
export interface ReaderLog {
  readonly subscribedFrame: number;
  readonly unsubscribedFrame: number;
}

/** Options of {@link FakeKinesis.failNext}. */
export interface FakeFailure {
  /** Only calls on this stream (default: any). */
  stream?: string;
  /** Only calls on this shard (default: any). */
  shardId?: string;
  /** How many calls fail. Default 1. */
  times?: number;
  /**
   * What the calls fail with: a `KinesumerError` as it is, or an SDK-like error (`{ name:
   * 'ProvisionedThroughputExceededException' }`) mapped as the real seam maps it. Default: a
   * retriable `KinesisError` (an internal failure of Kinesis).
   */
  error?: unknown;
}

type Operation = FakeCall['op'];
const OPERATION_NAMES: Record<Operation, string> = { listShards: 'ListShards', getShardIterator: 'GetShardIterator', getRecords: 'GetRecords' };

/** A shard iterator the fake handed out: where it points, and the reader it belongs to. */
interface IteratorState {
  shard: FakeShard;
  index: number;
  /** Ends the reader (its GetShardIterator subscription) once the closed shard's end was served. */
  end: () => void;
}

/** A reader log per shard: a cold Observable of the TestScheduler when there is one, else a list of our own. */
interface ReaderTrack {
  logs: ReaderLog[];
  enter(): Subscription;
}

/**
 * An in-memory Kinesis for tests: streams and shards with hash-key ranges, records routed by the
 * MD5 of their partition key, splits and merges, and the polling calls the consumer makes
 * (ListShards, GetShardIterator, GetRecords), answered on the scheduler.
 *
 * - Iterators honour `TRIM_HORIZON`, `LATEST`, `AT_SEQUENCE_NUMBER`, `AFTER_SEQUENCE_NUMBER` and
 *   `AT_TIMESTAMP` (the record's arrival is `scheduler.now()` when it was put).
 * - A closed shard ends with its last records and no next iterator; its children name it in
 *   `parentShardId` (and `adjacentParentShardId` after a merge).
 * - Failures are typed like the real seam's (`StreamNotFoundError`, `KinesisError`, ...), and
 *   {@link FakeKinesis.failNext} injects some. With `retry.random` in the consumer's config,
 *   backoff delays are exact, so failure paths have exact frames too.
 * - {@link FakeKinesis.readers} tells when each reader of a shard started and stopped, for
 *   `expectSubscriptions`: the Observable of `getShardIterator` stays open while its reader
 *   reads, and completes after the end of a closed shard was served. Iterators do not expire.
 *
 * ## Example
 * ```ts
 * import { FakeKinesis } from 'rx-kinesumer/testing';
 * const kinesis = new FakeKinesis({ scheduler });
 * kinesis.createStream('orders', { shards: 4 });
 * kinesis.putRecord('orders', { partitionKey: 'k1', data: 'hello' });
 * scheduler.schedule(() => kinesis.splitShard('orders', 'shardId-000000000000'), 10_000);
 * createKinesumer({ app: 'test', kinesis, stateStore: new MemoryStateStore(), scheduler });
 * ```
 */
export class FakeKinesis implements KinesisApi {
  /** Every call, in order. */
  readonly calls: FakeCall[] = [];

  private readonly scheduler: SchedulerLike;
  private readonly latency: number;
  private readonly streams = new Map<string, FakeStream>();
  private readonly iterators = new Map<string, IteratorState>();
  private readonly tracks = new Map<string, ReaderTrack>();
  private readonly failures: Array<FakeFailure & { op: Operation; left: number }> = [];
  private seq = 49_590_000_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;
  private tokens = 0;

  /** @param options The scheduler to answer on, and the latency of each call. */
  constructor(options: FakeKinesisOptions) {
    this.scheduler = options.scheduler;
    this.latency = options.latency ?? 0;
  }

  /** Creates a stream of `shards` open shards (default 1) splitting the hash-key space evenly. */
  createStream(name: string, options: { shards?: number } = {}): void {
    const shards = options.shards ?? 1;
    if (this.streams.has(name)) throw new RangeError(`createStream: stream "${name}" exists already`);
    if (!Number.isInteger(shards) || shards < 1) throw new RangeError(`createStream: shards must be a positive integer, not ${shards}`);
    this.streams.set(name, new FakeStream(name, shards, () => (this.seq += 1n)));
  }

  /** Puts one record into the open shard of its partition key's hash (or of `explicitHashKey`). */
  putRecord(stream: string, record: FakePutRecord): FakePutResult {
    const { partitionKey, data, explicitHashKey } = record;
    if (typeof partitionKey !== 'string' || partitionKey.length < 1 || partitionKey.length > 256) {
      throw new RangeError('putRecord: partitionKey must be a string of 1 to 256 characters');
    }
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
    const hashKey = explicitHashKey === undefined ? hashKeyOf(partitionKey) : BigInt(explicitHashKey);
    const { shard, added } = this.stream(stream, 'putRecord').put(partitionKey, bytes, hashKey, this.scheduler.now());
    return { shardId: shard.shardId, sequenceNumber: added.record.SequenceNumber! };
  }

  /** Puts records in order; see {@link FakeKinesis.putRecord}. */
  putRecords(stream: string, records: readonly FakePutRecord[]): FakePutResult[] {
    return records.map((record) => this.putRecord(stream, record));
  }

  /**
   * Splits an open shard at `newStartingHashKey` (default: the middle of its range): the shard is
   * closed and two children open. @returns The children's ids, lower range first.
   */
  splitShard(stream: string, shardId: string, newStartingHashKey?: string): [string, string] {
    return this.stream(stream, 'splitShard').split(shardId, newStartingHashKey === undefined ? undefined : BigInt(newStartingHashKey));
  }

  /** Merges two adjacent open shards: both are closed and one child opens. @returns The child's id. */
  mergeShards(stream: string, shardId: string, adjacentShardId: string): string {
    return this.stream(stream, 'mergeShards').merge(shardId, adjacentShardId);
  }

  /** The shards of `stream`, open and closed, with their hash-key ranges. */
  describeShards(stream: string): FakeShardDescription[] {
    return this.stream(stream, 'describeShards').describe();
  }

  /**
   * When each reader of the shard started (GetShardIterator) and stopped (it was unsubscribed, or
   * read a closed shard to its end): pass it to `expectSubscriptions(...)`.
   */
  readers(stream: string, shardId: string): ReaderLog[] {
    return this.track(stream, shardId).logs;
  }

  /** Makes the next `times` calls of `operation` (on the given stream or shard) fail. */
  failNext(operation: Operation, failure: FakeFailure = {}): void {
    this.failures.push({ ...failure, op: operation, left: failure.times ?? 1 });
  }

  listShards(stream: string): Observable<ShardDescription[]> {
    return this.answer({ op: 'listShards', stream }, () => {
      const found = this.streams.get(stream);
      if (found === undefined) throw toKinesisError({ name: 'ResourceNotFoundException', message: `Stream ${stream} not found` }, 'ListShards', stream);
      return of(found.describe().map(({ startingHashKey: _s, endingHashKey: _e, ...shard }) => shard));
    });
  }

  getShardIterator(stream: string, shardId: string, position: StartPosition): Observable<string> {
    // Open from the call until the reader leaves or its chain served the closed shard's end.
    return new Observable<string>((subscriber) => {
      const presence = this.track(stream, shardId).enter();
      const answer = this.answer({ op: 'getShardIterator', stream, shardId, position }, () => {
        const shard = this.shardOf(stream, shardId, 'GetShardIterator');
        const index = startIndex(shard, position);
        if (index === undefined) throw invalidArgument('GetShardIterator', stream, shardId, `not a sequence number: ${JSON.stringify(position)}`);
        return of(this.issue({ shard, index, end: () => subscriber.complete() }));
      }).subscribe({ next: (iterator) => subscriber.next(iterator), error: (err: unknown) => subscriber.error(err) });
      return () => {
        answer.unsubscribe();
        presence.unsubscribe();
      };
    });
  }

  getRecords(stream: string, shardId: string, iterator: string, limit: number): Observable<RecordsPage> {
    return this.answer({ op: 'getRecords', stream, shardId, limit }, () => {
      const state = this.iterators.get(iterator);
      if (state === undefined || state.shard.shardId !== shardId) throw invalidArgument('GetRecords', stream, shardId, 'unknown shard iterator');
      const { shard } = state;
      const page = shard.records.slice(state.index, state.index + limit);
      const index = state.index + page.length;
      const atEnd = index >= shard.records.length;
      const newest = shard.records[shard.records.length - 1];
      const last = page[page.length - 1];
      const millisBehindLatest = atEnd || newest === undefined ? 0 : Math.max(1, newest.arrival - (last?.arrival ?? newest.arrival));
      const closedEnd = atEnd && shard.endingSequenceNumber !== undefined;
      const result: RecordsPage = {
        records: page.map((r) => ({ ...r.record })),
        nextShardIterator: closedEnd ? undefined : this.issue({ ...state, index }),
        millisBehindLatest,
      };
      if (closedEnd) state.end();
      return of(result);
    });
  }

  /** Logs the call, then answers with `respond()` (or an injected failure) after the latency. */
  private answer<T>(call: Omit<FakeCall, 'at'>, respond: () => Observable<T>): Observable<T> {
    return defer(() => {
      this.calls.push({ at: this.scheduler.now(), ...call });
      const failure = this.failures.find((f) => f.op === call.op && f.left > 0 && (f.stream ?? call.stream) === call.stream && (f.shardId ?? call.shardId) === call.shardId);
      const reply = (): Observable<T> => {
        if (failure === undefined) return respond();
        failure.left -= 1;
        const name = OPERATION_NAMES[call.op];
        const error = failure.error ?? { name: 'InternalFailure', message: 'injected failure', $metadata: { httpStatusCode: 500 } };
        return throwError(() => (error instanceof KinesumerError ? error : toKinesisError(error, name, call.stream, call.shardId)));
      };
      const safely = (): Observable<T> => {
        try {
          return reply();
        } catch (err) {
          return throwError(() => err);
        }
      };
      return this.latency > 0 ? timer(this.latency, this.scheduler).pipe(mergeMap(safely)) : safely();
    });
  }

  private issue(state: IteratorState): string {
    this.tokens += 1;
    const token = `${state.shard.shardId}#${this.tokens}`;
    this.iterators.set(token, state);
    return token;
  }

  private stream(name: string, operation: string): FakeStream {
    const stream = this.streams.get(name);
    if (stream === undefined) throw new RangeError(`${operation}: there is no stream "${name}" (createStream first)`);
    return stream;
  }

  private shardOf(stream: string, shardId: string, operation: string): FakeShard {
    const shard = this.streams.get(stream)?.shard(shardId);
    if (shard === undefined) {
      throw toKinesisError({ name: 'ResourceNotFoundException', message: `Shard ${shardId} in stream ${stream} not found` }, operation, stream, shardId);
    }
    return shard;
  }

  private track(stream: string, shardId: string): ReaderTrack {
    const key = `${stream}/${shardId}`;
    let track = this.tracks.get(key);
    if (track === undefined) {
      track = readerTrack(this.scheduler);
      this.tracks.set(key, track);
    }
    return track;
  }
}

/** Where an iterator for `position` starts in `shard.records`; `undefined` for a malformed sequence number. */
function startIndex(shard: FakeShard, position: StartPosition): number | undefined {
  const firstWhere = (accept: (r: FakeShard['records'][number]) => boolean) => {
    const i = shard.records.findIndex(accept);
    return i === -1 ? shard.records.length : i;
  };
  switch (position.type) {
    case 'TRIM_HORIZON':
      return 0;
    case 'LATEST':
      return shard.records.length;
    case 'AT_TIMESTAMP':
      return firstWhere((r) => r.arrival >= position.timestamp.getTime());
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER': {
      if (!/^\d+$/.test(position.sequenceNumber)) return undefined;
      const seq = BigInt(position.sequenceNumber);
      return position.type === 'AT_SEQUENCE_NUMBER' ? firstWhere((r) => r.seq >= seq) : firstWhere((r) => r.seq > seq);
    }
  }
}

function invalidArgument(operation: string, stream: string, shardId: string, message: string): KinesumerError {
  return toKinesisError({ name: 'InvalidArgumentException', message, $metadata: { httpStatusCode: 400 } }, operation, stream, shardId);
}

/**
 * A log of reader lifetimes. On a TestScheduler it is a cold Observable's subscription log, the
 * very objects `expectSubscriptions` compares; elsewhere entries are kept by hand from `now()`.
 */
function readerTrack(scheduler: SchedulerLike): ReaderTrack {
  const test = scheduler as SchedulerLike & { createColdObservable?: (marbles: string) => Observable<never> & { subscriptions: ReaderLog[] } };
  if (typeof test.createColdObservable === 'function') {
    const cold = test.createColdObservable('-');
    return { logs: cold.subscriptions, enter: () => cold.subscribe() };
  }
  const logs: Array<{ subscribedFrame: number; unsubscribedFrame: number }> = [];
  return {
    logs,
    enter: () => {
      const entry = { subscribedFrame: scheduler.now(), unsubscribedFrame: Number.POSITIVE_INFINITY };
      logs.push(entry);
      return new Subscription(() => (entry.unsubscribedFrame = scheduler.now()));
    },
  };
}
