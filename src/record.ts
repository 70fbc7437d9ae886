/**
 * A record delivered by rx-kinesumer: the Kinesis record with the stream and shard it came from.
 * Fields follow the SDK's record, in camelCase.
 */
export interface KinesumerRecord {
  /** The stream name. */
  readonly stream: string;
  /** The shard id, such as `shardId-000000000003`. */
  readonly shardId: string;
  /** The record's sequence number, unique and increasing within its shard (a decimal string). */
  readonly sequenceNumber: string;
  /** The partition key the producer gave. */
  readonly partitionKey: string;
  /** The payload, as bytes. */
  readonly data: Uint8Array;
  /** When Kinesis accepted the record. */
  readonly approximateArrivalTimestamp: Date | undefined;
  /** `NONE` or `KMS`, when Kinesis says. */
  readonly encryptionType: string | undefined;
  /** For a user record taken out of a KPL aggregate: its position in the aggregate, from 0. */
  readonly subSequenceNumber?: number;
  /** For a user record of a KPL aggregate: the explicit hash key the producer gave, if any. */
  readonly explicitHashKey?: string;
}
