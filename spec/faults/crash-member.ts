/**
 * One group member in its own process, for the crash tests. Like spec/helpers/member-process.ts,
 * but it writes every event synchronously to a file (so nothing is lost when it is SIGKILLed,
 * unlike a pipe's buffered writes), with sequence numbers, and can kill itself at the one moment
 * a test cannot reach from outside: after a checkpoint write and before the release of a shard.
 *
 * Lines (JSON), in the file MEMBER_OUT:
 *   {"t":ms,"shard":id,"seq":n,"key":k,"data":text}   a record delivered
 *   {"t":ms,"committed":id,"seq":n}            a fenced checkpoint write applied, or a heartbeat carrying it landed
 *   {"t":ms,"crash":id}                        about to SIGKILL itself instead of releasing `id`
 *   {"t":ms,"assignment":[ids]}                its assignment changed
 *   {"t":ms,"error":code,"message":text}       an error on errors$
 *   {"t":ms,"event":type,"shard":id}          shardAcquired and shardReleased events
 *
 * Environment: MEMBER_APP MEMBER_ID MEMBER_STREAM MEMBER_TABLE MEMBER_OUT KINESIS_ENDPOINT
 * DYNAMODB_ENDPOINT MEMBER_SYNC_INTERVAL MEMBER_CLIENT_TIMEOUT MEMBER_COMMIT_INTERVAL, and
 * MEMBER_CRASH_BEFORE_RELEASE=1 to die at the first release that follows a checkpoint write,
 * MEMBER_EFO=1 to read with enhanced fan-out.
 */
import { openSync, writeSync } from 'node:fs';
import { tap } from 'rxjs';
import { checkpoint } from '../../src/checkpoint/checkpoint.js';
import { createKinesumer } from '../../src/index.js';
import { silentLogger } from '../../src/logger.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import type { Heartbeat, ShardCommit } from '../../src/state-store/state-store.js';
import { localAws } from '../helpers/emulators.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`crash-member: ${name} is not set`);
  return value;
};
const num = (name: string): number => Number(env(name));

const out = openSync(env('MEMBER_OUT'), 'a');
const write = (line: object) => writeSync(out, `${JSON.stringify({ t: Date.now(), ...line })}\n`);
const crashBeforeRelease = process.env['MEMBER_CRASH_BEFORE_RELEASE'] === '1';

/** The DynamoDB store, telling the test about every applied checkpoint, and able to die mid-handoff. */
class ObservedStore extends DynamoDBStateStore {
  private committedSinceRelease = new Set<string>();

  override async commitShard(app: string, stream: string, shardId: string, commit: ShardCommit): Promise<boolean> {
    const applied = await super.commitShard(app, stream, shardId, commit);
    if (applied) {
      write({ committed: shardId, seq: commit.sequenceNumber });
      this.committedSinceRelease.add(shardId);
    }
    return applied;
  }

  override async heartbeat(app: string, clientId: string, now: Date, heartbeat: Heartbeat): Promise<void> {
    await super.heartbeat(app, clientId, now, heartbeat);
    // With heartbeat commits a landed heartbeat is the commit of every position it carries.
    for (const [shardId, position] of Object.entries(heartbeat.checkpoints[env('MEMBER_STREAM')] ?? {})) {
      write({ committed: shardId, seq: position.sequenceNumber });
      this.committedSinceRelease.add(shardId);
    }
  }

  override async releaseShard(app: string, stream: string, shardId: string, clientId: string): Promise<void> {
    if (crashBeforeRelease && this.committedSinceRelease.has(shardId)) {
      write({ crash: shardId });
      process.kill(process.pid, 'SIGKILL');
      await new Promise(() => undefined);
    }
    return super.releaseShard(app, stream, shardId, clientId);
  }
}

const consumer = createKinesumer({
  app: env('MEMBER_APP'),
  clientId: env('MEMBER_ID'),
  kinesis: { endpoint: env('KINESIS_ENDPOINT'), ...localAws, http1: true },
  stateStore: new ObservedStore({ table: env('MEMBER_TABLE'), endpoint: env('DYNAMODB_ENDPOINT'), ...localAws }),
  initialPosition: 'TRIM_HORIZON',
  group: { syncInterval: num('MEMBER_SYNC_INTERVAL'), clientTimeout: num('MEMBER_CLIENT_TIMEOUT') },
  commit: { interval: num('MEMBER_COMMIT_INTERVAL') },
  polling: { idleInterval: 200 },
  ...(process.env['MEMBER_EFO'] === '1' && { efo: true }),
  logger: silentLogger,
});

const decoder = new TextDecoder();
consumer.assignment$.subscribe((a) => write({ assignment: a[env('MEMBER_STREAM')] ?? [] }));
consumer.errors$.subscribe((e) => write({ error: e.code, message: e.message.slice(0, 200) }));
consumer.events$.subscribe((e) => {
  if (e.type === 'shardAcquired' || e.type === 'shardReleased') write({ event: e.type, shard: e.shardId });
});
consumer
  .consume([env('MEMBER_STREAM')])
  .pipe(
    tap((r) => write({ shard: r.shardId, seq: r.sequenceNumber, key: r.partitionKey, data: decoder.decode(r.data) })),
    checkpoint(consumer),
  )
  .subscribe({ error: (err: Error) => (write({ fatal: err.message }), process.exit(1)) });

process.once('SIGTERM', () => {
  void consumer.close().then(() => process.exit(0));
});
