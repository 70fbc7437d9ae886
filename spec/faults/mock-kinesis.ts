/**
 * A Kinesis stream behind a real `KinesisClient` whose `send` is replaced by aws-sdk-client-mock:
 * ListShards, GetShardIterator and GetRecords answer from records made up front, and a test can
 * make any call fail (throttling, an expired iterator) by its position among the calls of that
 * kind on that shard. Every call is logged with its time, so tests can measure call rates and
 * backoff delays.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type GetShardIteratorCommandInput,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

export type MockOp = 'ListShards' | 'GetShardIterator' | 'GetRecords';

/** One call the mock answered (or failed). */
export interface MockCall {
  t: number;
  op: MockOp;
  shardId: string | undefined;
  /** 1-based position among the calls of this op on this shard (or stream, for ListShards). */
  n: number;
  input: unknown;
  /** The error name the call failed with, if it did. */
  failed: string | undefined;
}

/** Decides whether a call fails: return the error to throw, or undefined to answer. */
export type Injector = (call: { op: MockOp; shardId: string | undefined; n: number; t: number }) => Error | undefined;

export interface MockStreamOptions {
  stream: string;
  shards: number;
  recordsPerShard: number;
  /** Payload of record `i` of shard `s`; default `s<s>-r<i>`. */
  payload?: (shard: number, i: number) => string;
  inject?: Injector;
}

export const mockShardId = (i: number): string => `shardId-${String(i).padStart(12, '0')}`;

/** Sequence numbers of one length, increasing within a shard. */
const sequenceNumber = (shard: number, i: number): string => `4960${String(shard).padStart(3, '0')}${String(i + 1).padStart(12, '0')}`;

/** The mock and what it holds. */
export class MockKinesis {
  readonly client: KinesisClient;
  readonly mock: AwsClientStub<KinesisClient>;
  readonly calls: MockCall[] = [];
  /** shard id → its records, in order. */
  readonly records = new Map<string, _Record[]>();
  inject: Injector | undefined;
  private readonly counts = new Map<string, number>();

  constructor(options: MockStreamOptions) {
    this.inject = options.inject;
    this.client = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'mock', secretAccessKey: 'mock' } });
    this.mock = mockClient(this.client);
    const payload = options.payload ?? ((s, i) => `s${s}-r${i}`);
    for (let s = 0; s < options.shards; s++) {
      this.records.set(
        mockShardId(s),
        Array.from({ length: options.recordsPerShard }, (_, i) => ({
          SequenceNumber: sequenceNumber(s, i),
          PartitionKey: `s${s}-k${i % 4}`,
          Data: new TextEncoder().encode(payload(s, i)),
          ApproximateArrivalTimestamp: new Date(),
        })),
      );
    }
    const m = this.mock;
    m.on(ListShardsCommand).callsFake(async (input) => {
      this.call('ListShards', undefined, input);
      return {
        Shards: [...this.records.keys()].map((id, s) => ({
          ShardId: id,
          HashKeyRange: { StartingHashKey: String(s), EndingHashKey: String(s) },
          SequenceNumberRange: { StartingSequenceNumber: sequenceNumber(s, 0) },
        })),
      };
    });
    m.on(GetShardIteratorCommand).callsFake(async (input: GetShardIteratorCommandInput) => {
      this.call('GetShardIterator', input.ShardId, input);
      const records = this.shard(input.ShardId);
      let position: number;
      switch (input.ShardIteratorType) {
        case 'TRIM_HORIZON':
          position = 0;
          break;
        case 'LATEST':
          position = records.length;
          break;
        case 'AFTER_SEQUENCE_NUMBER':
        case 'AT_SEQUENCE_NUMBER': {
          const at = records.findIndex((r) => r.SequenceNumber === input.StartingSequenceNumber);
          if (at < 0) throw new Error(`mock: no record ${input.StartingSequenceNumber} in ${input.ShardId}`);
          position = input.ShardIteratorType === 'AT_SEQUENCE_NUMBER' ? at : at + 1;
          break;
        }
        default:
          throw new Error(`mock: iterator type ${input.ShardIteratorType} not supported`);
      }
      return { ShardIterator: `${input.ShardId}|${position}` };
    });
    m.on(GetRecordsCommand).callsFake(async (input) => {
      const [shardId, at] = (input.ShardIterator ?? '').split('|');
      this.call('GetRecords', shardId, input);
      const records = this.shard(shardId);
      const position = Number(at);
      const page = records.slice(position, position + (input.Limit ?? 10_000));
      const next = position + page.length;
      return {
        Records: page,
        NextShardIterator: `${shardId}|${next}`,
        MillisBehindLatest: next < records.length ? 1000 : 0,
      };
    });
  }

  /** Calls of `op` (on `shardId`, if given), in order. */
  callsOf(op: MockOp, shardId?: string): MockCall[] {
    return this.calls.filter((c) => c.op === op && (shardId === undefined || c.shardId === shardId));
  }

  /** The most calls of `op` on one shard within any window of `windowMs`. */
  maxCallsInWindow(op: MockOp, shardId: string, windowMs = 1000): number {
    const times = this.callsOf(op, shardId).map((c) => c.t);
    let max = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= windowMs) j++;
      max = Math.max(max, i - j + 1);
    }
    return max;
  }

  restore(): void {
    this.mock.restore();
  }

  private shard(shardId: string | undefined): _Record[] {
    const records = shardId === undefined ? undefined : this.records.get(shardId);
    if (records === undefined) throw new Error(`mock: no shard ${shardId}`);
    return records;
  }

  /** Logs the call and throws the injected error, if any. */
  private call(op: MockOp, shardId: string | undefined, input: unknown): void {
    const key = `${op}/${shardId ?? ''}`;
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    const t = Date.now();
    const error = this.inject?.({ op, shardId, n, t });
    this.calls.push({ t, op, shardId, n, input, failed: error?.name });
    if (error) throw error;
  }
}
