/**
 * One group member in its own process for the processing tests (spec/integration/processing.spec.ts):
 * `processRecords()`, or the plain `concatMap(handle)` + `checkpoint()` pipeline, with a handler
 * that waits (simulated I/O) and can be told to fail. It writes every event synchronously to the
 * file MEMBER_OUT, one JSON line each (so nothing is lost when it is SIGKILLed):
 *
 *   {"t":ms,"ev":"start"|"end","shard":id,"seq":n,"key":k,"data":text}  the handler started / ended
 *                                                  (a start also says how long it will take: "ms")
 *   {"t":ms,"ev":"committed","shard":id,"seq":n}   a heartbeat carrying that checkpoint (or a fenced write of it) landed
 *   {"t":ms,"ev":"assignment","shards":[ids]}      the shards this client owns now
 *   {"t":ms,"ev":"error","code":c,"message":m}     errors$
 *   {"t":ms,"ev":"event","type":type,"shard":id}   events$ (with the shard, for shard events)
 *   {"t":ms,"ev":"pipelineError","message":m}      the subscription's error callback (not with MEMBER_BARE)
 *   {"t":ms,"ev":"pipelineComplete"}               the subscription completed
 *   {"t":ms,"ev":"closed"}                         close() resolved (after SIGTERM)
 *
 * On SIGTERM it calls close(), then waits for the pipeline to complete (at most MEMBER_LINGER ms,
 * default 10,000), so records still buffered in the pipeline reach checkpoint() after the close,
 * and exits 0. An uncaught exception ends it with Node's own exit code 1 and a stack on stderr.
 *
 * Environment:
 *   MEMBER_APP MEMBER_ID MEMBER_STREAM MEMBER_TABLE MEMBER_OUT KINESIS_ENDPOINT DYNAMODB_ENDPOINT
 *   MEMBER_MODE          records (processRecords, the default) | plain (concatMap + checkpoint)
 *   MEMBER_HANDLER_MS    the handler's time, ms: "20", or "2-20" for a random time in that range
 *   MEMBER_SLOW          "p:ms": a record takes ms instead, with probability p (a slow call now and then)
 *   MEMBER_CONCURRENCY   processRecords' concurrency (unset: one record per shard)
 *   MEMBER_POISON        a payload whose handler always throws
 *   MEMBER_THROW_ONCE    a payload whose handler throws the first time only (the first MEMBER_THROW_TIMES times)
 *   MEMBER_ATTEMPTS MEMBER_RETRY_INITIAL MEMBER_RETRY_MAX   processRecords' retry policy
 *   MEMBER_DEAD_LETTER   a stream for deadLetterToStream()
 *   MEMBER_REJOIN=1      the README's recipe: retry({ delay: 1000 }) after checkpoint() or processRecords()
 *   MEMBER_BARE=1        subscribe() without callbacks, as the README's first example does
 *   MEMBER_SYNC_INTERVAL MEMBER_CLIENT_TIMEOUT MEMBER_COMMIT_INTERVAL MEMBER_COMMIT_TIMEOUT
 *   MEMBER_IDLE_INTERVAL MEMBER_SCAN_LIMIT MEMBER_LINGER
 */
import { openSync, writeSync } from 'node:fs';
import { concatMap, retry, tap, type Observable } from 'rxjs';
import { checkpoint, createKinesumer, deadLetterToStream, processRecords, type KinesumerRecord, type ProcessRecordsOptions } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import type { Heartbeat, ShardCommit } from '../../src/state-store/state-store.js';
import { localKinesisClient } from './aws-fixtures.js';
import { localAws } from './emulators.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`processing-member: ${name} is not set`);
  return value;
};
const opt = (name: string): string | undefined => process.env[name] || undefined;
const num = (name: string): number | undefined => (opt(name) === undefined ? undefined : Number(opt(name)));

const out = openSync(env('MEMBER_OUT'), 'a');
const write = (line: object) => writeSync(out, `${JSON.stringify({ t: Date.now(), ...line })}\n`);
const stream = env('MEMBER_STREAM');

/** The DynamoDB store, telling the test about every checkpoint that landed. */
class ObservedStore extends DynamoDBStateStore {
  override async heartbeat(app: string, clientId: string, now: Date, heartbeat: Heartbeat): Promise<void> {
    await super.heartbeat(app, clientId, now, heartbeat);
    for (const [shard, position] of Object.entries(heartbeat.checkpoints[stream] ?? {})) write({ ev: 'committed', shard, seq: position.sequenceNumber });
  }

  override async commitShard(app: string, s: string, shard: string, commit: ShardCommit): Promise<boolean> {
    const applied = await super.commitShard(app, s, shard, commit);
    if (applied && commit.sequenceNumber !== undefined) write({ ev: 'committed', shard, seq: commit.sequenceNumber });
    return applied;
  }
}

const commit = { interval: num('MEMBER_COMMIT_INTERVAL'), timeout: num('MEMBER_COMMIT_TIMEOUT') };
const polling = { idleInterval: num('MEMBER_IDLE_INTERVAL'), scanLimit: num('MEMBER_SCAN_LIMIT') };
const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
const consumer = createKinesumer({
  app: env('MEMBER_APP'),
  clientId: env('MEMBER_ID'),
  kinesis: { endpoint: env('KINESIS_ENDPOINT'), ...localAws, http1: true },
  stateStore: new ObservedStore({ table: env('MEMBER_TABLE'), endpoint: env('DYNAMODB_ENDPOINT'), ...localAws }),
  initialPosition: 'TRIM_HORIZON',
  group: defined({ syncInterval: num('MEMBER_SYNC_INTERVAL'), clientTimeout: num('MEMBER_CLIENT_TIMEOUT') }),
  commit: defined(commit),
  polling: defined(polling),
  logger: silentLogger,
});
consumer.errors$.subscribe((err) => write({ ev: 'error', code: err.code, message: err.message.slice(0, 300) }));
consumer.events$.subscribe((event) => write({ ev: 'event', type: event.type, ...('shardId' in event && { shard: event.shardId }) }));
consumer.assignment$.subscribe((assignment) => write({ ev: 'assignment', shards: [...(assignment[stream] ?? [])].sort() }));

const [low, high = low] = (opt('MEMBER_HANDLER_MS') ?? '0').split('-').map(Number) as [number, number?];
const [slowShare = 0, slowMs = 0] = (opt('MEMBER_SLOW') ?? '0:0').split(':').map(Number);
const poison = opt('MEMBER_POISON');
const throwOnce = opt('MEMBER_THROW_ONCE');
const throwTimes = num('MEMBER_THROW_TIMES') ?? 1;
let thrown = 0;
const decoder = new TextDecoder();
const describe = (r: KinesumerRecord) => ({ shard: r.shardId, seq: r.sequenceNumber, key: r.partitionKey, data: decoder.decode(r.data) });

/** The user's handler: waits like I/O would, and fails where told to. */
async function handle(record: KinesumerRecord): Promise<KinesumerRecord> {
  const what = describe(record);
  const ms = Math.round(Math.random() < slowShare ? slowMs : low + Math.random() * (high - low));
  write({ ev: 'start', ...what, ms });
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  if (what.data === poison) throw new Error(`cannot handle ${what.data}`);
  if (what.data === throwOnce && thrown < throwTimes) {
    thrown += 1;
    throw new Error(`cannot handle ${what.data} (this time)`);
  }
  write({ ev: 'end', ...what });
  return record;
}

const records$ = consumer.consume([stream]);
let pipeline$: Observable<unknown>;
if (opt('MEMBER_MODE') === 'plain') {
  pipeline$ = records$.pipe(concatMap(handle), checkpoint(consumer));
} else {
  const dlq = opt('MEMBER_DEAD_LETTER');
  const options: ProcessRecordsOptions = defined({
    concurrency: num('MEMBER_CONCURRENCY'),
    retry: defined({ attempts: num('MEMBER_ATTEMPTS'), initialDelay: num('MEMBER_RETRY_INITIAL'), maxDelay: num('MEMBER_RETRY_MAX') }),
    deadLetter: dlq === undefined ? undefined : deadLetterToStream(localKinesisClient(env('KINESIS_ENDPOINT')), dlq),
  });
  pipeline$ = records$.pipe(processRecords(consumer, handle, options));
}
if (opt('MEMBER_REJOIN') === '1') pipeline$ = pipeline$.pipe(retry({ delay: 1000 }));

let completed: () => void = () => undefined;
const complete = new Promise<void>((resolve) => (completed = resolve));
if (opt('MEMBER_BARE') === '1') {
  // no error callback, as in the README's first example: an error would be an uncaught exception
  pipeline$.pipe(tap({ complete: () => (write({ ev: 'pipelineComplete' }), completed()) })).subscribe();
} else {
  pipeline$.subscribe({
    error: (err: Error) => write({ ev: 'pipelineError', message: String(err.message).slice(0, 300) }),
    complete: () => {
      write({ ev: 'pipelineComplete' });
      completed();
    },
  });
}
write({ ev: 'ready' });

process.once('SIGTERM', () => {
  void consumer.close().then(async () => {
    write({ ev: 'closed' });
    await Promise.race([complete, new Promise((resolve) => setTimeout(resolve, num('MEMBER_LINGER') ?? 10_000))]);
    process.exit(0);
  });
});
