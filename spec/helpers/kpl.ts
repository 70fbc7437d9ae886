/** Records aggregated the way the Kinesis Producer Library does, with aws-kinesis-agg's encoder. */
import { createRequire } from 'node:module';

const agg = createRequire(import.meta.url)('aws-kinesis-agg') as {
  aggregate: (
    records: { partitionKey: string; explicitHashKey?: string; data: Buffer }[],
    onEncoded: (encoded: { partitionKey: string; data: Buffer }, done: (err?: Error) => void) => void,
    afterAll: () => void,
    onError: (err: Error) => void,
  ) => void;
};

/** Aggregates user records the way the KPL does (aws-kinesis-agg's encoder). */
export function aggregateRecords(records: { partitionKey: string; explicitHashKey?: string; data: string }[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    agg.aggregate(
      records.map((r) => ({ ...r, data: Buffer.from(r.data) })),
      (encoded, done) => {
        out.push(encoded.data);
        done();
      },
      () => resolve(out),
      reject,
    );
  });
}

