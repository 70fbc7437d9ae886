import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { describeCause } from '../errors.js';
import type { ProcessingFailure } from './failure-policy.js';

/** What {@link deadLetterToStream} writes as a record's data: the record and where it came from, as JSON. */
export interface DeadLetterEnvelope {
  /** Where the record was read. */
  origin: {
    stream: string;
    shardId: string;
    sequenceNumber: string;
    subSequenceNumber?: number;
    partitionKey: string;
    approximateArrivalTimestamp?: string;
  };
  /** The last error's description. */
  error: string;
  /** Attempts made (0: the record was too old to try). */
  attempts: number;
  /** The record's payload, base64. */
  data: string;
}

/**
 * A dead-letter sink for `processRecords()` and `processBatches()` that writes each failed record
 * to another Kinesis stream (PutRecord), under its own partition key (so the dead letters of one
 * key stay in order), with its origin, the error and the attempt count in a JSON envelope
 * ({@link DeadLetterEnvelope}). A failed write is retried by the failure policy; the record is
 * checkpointed only once the write succeeded.
 *
 * ## Example
 * ```ts
 * import { KinesisClient } from '@aws-sdk/client-kinesis';
 * import { deadLetterToStream, processRecords } from 'rx-kinesumer';
 *
 * const dlq = deadLetterToStream(new KinesisClient({ region: 'eu-west-1' }), 'orders-dead-letters');
 * consumer.consume(['orders']).pipe(processRecords(consumer, handle, { retry: { attempts: 5 }, deadLetter: dlq })).subscribe();
 * ```
 *
 * @param kinesis The client to write with (IAM: kinesis:PutRecord on the dead-letter stream).
 * @param streamName The dead-letter stream (a name, or an ARN).
 * @returns The sink, for the `deadLetter` option.
 */
export function deadLetterToStream(kinesis: Pick<KinesisClient, 'send'>, streamName: string): (failure: ProcessingFailure) => Promise<void> {
  const target = streamName.startsWith('arn:') ? { StreamARN: streamName } : { StreamName: streamName };
  return async ({ record, error, attempts }) => {
    const envelope: DeadLetterEnvelope = {
      origin: {
        stream: record.stream,
        shardId: record.shardId,
        sequenceNumber: record.sequenceNumber,
        ...(record.subSequenceNumber === undefined ? {} : { subSequenceNumber: record.subSequenceNumber }),
        partitionKey: record.partitionKey,
        ...(record.approximateArrivalTimestamp === undefined ? {} : { approximateArrivalTimestamp: record.approximateArrivalTimestamp.toISOString() }),
      },
      error: describeCause(error),
      attempts,
      data: Buffer.from(record.data).toString('base64'),
    };
    await kinesis.send(new PutRecordCommand({ ...target, PartitionKey: record.partitionKey, Data: new TextEncoder().encode(JSON.stringify(envelope)) }));
  };
}
