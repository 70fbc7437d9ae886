/**
 * {@link SdkKinesisApi}: the Kinesis seam over a real `KinesisClient`, polling and enhanced
 * fan-out calls, each aborted on unsubscribe. How its failures map onto the library's errors is in
 * `kinesis-errors.ts`.
 */
import {
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type GetShardIteratorCommandInput,
  type Shard,
  type StartingPosition,
  type SubscribeToShardEvent,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { Observable, type Subscription } from 'rxjs';
import type {
  EfoKinesisApi,
  KinesisApi,
  RecordsPage,
  ShardDescription,
  ShardEvent,
  StartPosition,
  StreamConsumer,
  StreamSummary,
} from './kinesis-api.js';
import { errorName, toEfoError, toKinesisError } from './kinesis-errors.js';


/**
 * Runs an SDK call on subscribe and aborts it on unsubscribe, so no request outlives its reader.
 * A call that has settled is not aborted: `abort()` builds a DOMException with its stack trace,
 * which would cost every page some CPU for nothing.
 */
function abortable<T>(call: (signal: AbortSignal) => Promise<T>, mapError: (err: unknown) => unknown): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let settled = false;
    call(controller.signal).then(
      (value) => {
        settled = true;
        subscriber.next(value);
        subscriber.complete();
      },
      (err: unknown) => {
        settled = true;
        if (!controller.signal.aborted) subscriber.error(mapError(err));
      },
    );
    return () => {
      if (!settled) controller.abort();
    };
  });
}

function describeShard(shard: Shard): ShardDescription {
  return {
    shardId: shard.ShardId ?? '',
    parentShardId: shard.ParentShardId ?? undefined,
    adjacentParentShardId: shard.AdjacentParentShardId ?? undefined,
    closed: shard.SequenceNumberRange?.EndingSequenceNumber != null,
    startingSequenceNumber: shard.SequenceNumberRange?.StartingSequenceNumber ?? undefined,
  };
}

function iteratorInput(
  stream: { StreamName: string } | { StreamARN: string },
  shardId: string,
  position: StartPosition,
): GetShardIteratorCommandInput {
  const base = { ...stream, ShardId: shardId, ShardIteratorType: position.type };
  switch (position.type) {
    case 'AFTER_SEQUENCE_NUMBER':
    case 'AT_SEQUENCE_NUMBER':
      return { ...base, StartingSequenceNumber: position.sequenceNumber };
    case 'AT_TIMESTAMP':
      return { ...base, Timestamp: position.timestamp };
    default:
      return base;
  }
}

/** The {@link KinesisApi} over a real `KinesisClient`. */
export class SdkKinesisApi implements KinesisApi, EfoKinesisApi {
  /** Streams consumed by ARN (another account): name -> ARN. */
  private readonly arns = new Map<string, string>();

  constructor(private readonly client: KinesisClient) {}

  useStreamArn(name: string, arn: string): void {
    this.arns.set(name, arn);
  }

  /** `StreamARN` for a stream named by ARN, else `StreamName`. */
  private streamParam(stream: string): { StreamName: string } | { StreamARN: string } {
    const arn = this.arns.get(stream);
    return arn === undefined ? { StreamName: stream } : { StreamARN: arn };
  }

  listShards(stream: string): Observable<ShardDescription[]> {
    return abortable(
      async (abortSignal) => {
        const shards: ShardDescription[] = [];
        let nextToken: string | undefined;
        do {
          // With NextToken, StreamName must be left out (Kinesis rejects both together).
          const input = nextToken === undefined ? this.streamParam(stream) : { NextToken: nextToken };
          const page = await this.client.send(new ListShardsCommand(input), { abortSignal });
          for (const shard of page.Shards ?? []) shards.push(describeShard(shard));
          nextToken = page.NextToken ?? undefined;
        } while (nextToken !== undefined);
        return shards;
      },
      (err) => toKinesisError(err, 'ListShards', stream),
    );
  }

  getShardIterator(stream: string, shardId: string, position: StartPosition): Observable<string> {
    return abortable(
      async (abortSignal) => {
        const out = await this.client.send(new GetShardIteratorCommand(iteratorInput(this.streamParam(stream), shardId, position)), { abortSignal });
        if (!out.ShardIterator) throw new Error('GetShardIterator returned no iterator');
        return out.ShardIterator;
      },
      (err) => toKinesisError(err, 'GetShardIterator', stream, shardId),
    );
  }

  getRecords(stream: string, shardId: string, iterator: string, limit: number): Observable<RecordsPage> {
    return abortable(
      async (abortSignal) => {
        const out = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }), { abortSignal });
        return {
          records: out.Records ?? [],
          nextShardIterator: out.NextShardIterator ?? undefined,
          millisBehindLatest: out.MillisBehindLatest ?? undefined,
        };
      },
      (err) => toKinesisError(err, 'GetRecords', stream, shardId),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Enhanced fan-out

  describeStreamSummary(stream: string): Observable<StreamSummary> {
    return abortable(
      async (abortSignal) => {
        const out = await this.client.send(new DescribeStreamSummaryCommand(this.streamParam(stream)), { abortSignal });
        const summary = out.StreamDescriptionSummary;
        if (!summary?.StreamARN) throw new Error('DescribeStreamSummary returned no StreamARN');
        return { streamArn: summary.StreamARN, status: summary.StreamStatus ?? 'UNKNOWN' };
      },
      (err) => toKinesisError(err, 'DescribeStreamSummary', stream),
    );
  }

  registerStreamConsumer(stream: string, streamArn: string, name: string): Observable<StreamConsumer | undefined> {
    return abortable(
      async (abortSignal) => {
        try {
          const out = await this.client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }), {
            abortSignal,
          });
          return describeConsumer(out.Consumer, name);
        } catch (err) {
          if (errorName(err) === 'ResourceInUseException') return undefined; // it exists: reuse it
          throw err;
        }
      },
      (err) => toKinesisError(err, 'RegisterStreamConsumer', stream),
    );
  }

  describeStreamConsumer(stream: string, streamArn: string, name: string): Observable<StreamConsumer | undefined> {
    return abortable(
      async (abortSignal) => {
        try {
          const out = await this.client.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }), {
            abortSignal,
          });
          return describeConsumer(out.ConsumerDescription, name);
        } catch (err) {
          if (errorName(err) === 'ResourceNotFoundException') return undefined; // not registered (yet, or any more)
          throw err;
        }
      },
      (err) => toEfoError(err, 'DescribeStreamConsumer', stream),
    );
  }

  deregisterStreamConsumer(stream: string, streamArn: string, name: string): Observable<void> {
    return abortable(
      async (abortSignal) => {
        try {
          await this.client.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }), { abortSignal });
        } catch (err) {
          if (errorName(err) !== 'ResourceNotFoundException') throw err; // gone already: done
        }
      },
      (err) => toEfoError(err, 'DeregisterStreamConsumer', stream),
    );
  }

  /**
   * SubscribeToShard over the SDK's event stream, read with pull semantics: `iterator.next()` is
   * called once per emission of `demand$`, never ahead of it, so a slow subscriber leaves the
   * events in the socket and HTTP flow control (an HTTP/2 stream window, or TCP's for HTTP/1.1)
   * stops Kinesis. The SDK reads the first event itself before `send` resolves (to look for an
   * initial response), so at most one event is read unasked.
   *
   * Unsubscribing aborts the request: the SDK's handler destroys the HTTP/1.1 request (and its
   * socket) or the HTTP/2 stream at once, also while the response is streaming.
   */
  subscribeToShard(
    stream: string,
    shardId: string,
    consumerArn: string,
    position: StartPosition,
    demand$: Observable<unknown>,
  ): Observable<ShardEvent> {
    return new Observable<ShardEvent>((subscriber) => {
      const controller = new AbortController();
      let iterator: AsyncIterator<SubscribeToShardEventStream> | undefined;
      // Events asked for and not yet read.
      let wanted = 0;
      let reading = false;

      const fail = (err: unknown) => {
        if (!controller.signal.aborted) subscriber.error(toEfoError(err, 'SubscribeToShard', stream, shardId));
      };
      const pump = async () => {
        if (reading || iterator === undefined) return;
        reading = true;
        try {
          while (wanted > 0 && !controller.signal.aborted) {
            wanted -= 1;
            const step = await iterator.next();
            if (controller.signal.aborted) return;
            if (step.done) {
              subscriber.complete();
              return;
            }
            const event = step.value.SubscribeToShardEvent;
            // next() runs the subscriber's whole synchronous pipeline; it asks for more (wanted += 1)
            // from inside when it wants the next event at once.
            if (event) subscriber.next(describeEvent(event));
            else wanted += 1; // a member this SDK does not know: skip it
          }
        } catch (err) {
          fail(err);
        } finally {
          reading = false;
        }
      };

      const demand: Subscription = demand$.subscribe(() => {
        wanted += 1;
        void pump();
      });
      this.client
        .send(
          new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: startingPosition(position) }),
          { abortSignal: controller.signal },
        )
        .then((out) => {
          if (controller.signal.aborted) return;
          if (!out.EventStream) throw new Error('SubscribeToShard returned no event stream');
          iterator = out.EventStream[Symbol.asyncIterator]();
          return pump();
        })
        .catch(fail);

      return () => {
        controller.abort();
        demand.unsubscribe();
        // Let the SDK's generators run their cleanup; aborting already closed the stream.
        iterator?.return?.().catch(() => undefined);
      };
    });
  }
}

function describeConsumer(
  consumer: { ConsumerName?: string; ConsumerARN?: string; ConsumerStatus?: string } | undefined,
  name: string,
): StreamConsumer {
  if (!consumer?.ConsumerARN) throw new Error('Kinesis returned no ConsumerARN');
  return { consumerName: consumer.ConsumerName ?? name, consumerArn: consumer.ConsumerARN, status: consumer.ConsumerStatus ?? 'UNKNOWN' };
}

function describeEvent(event: SubscribeToShardEvent): ShardEvent {
  return {
    records: event.Records ?? [],
    continuationSequenceNumber: event.ContinuationSequenceNumber ?? undefined,
    millisBehindLatest: event.MillisBehindLatest ?? undefined,
    childShards: event.ChildShards?.map((child) => ({ shardId: child.ShardId ?? '', parentShards: child.ParentShards ?? [] })) ?? undefined,
  };
}

function startingPosition(position: StartPosition): StartingPosition {
  switch (position.type) {
    case 'AFTER_SEQUENCE_NUMBER':
    case 'AT_SEQUENCE_NUMBER':
      return { Type: position.type, SequenceNumber: position.sequenceNumber };
    case 'AT_TIMESTAMP':
      return { Type: position.type, Timestamp: position.timestamp };
    default:
      return { Type: position.type };
  }
}
