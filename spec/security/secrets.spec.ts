/**
 * Credentials and record payloads never appear in errors or logs.
 *
 * 1. A run against kinesis-local and dynalite with distinctive fake credentials and payloads, in
 *    which as much goes wrong as possible: Kinesis and DynamoDB unreachable for a while (TCP
 *    proxies cut), a malformed state item, a corrupt KPL aggregate holding a payload, misuse with
 *    a value carrying the secrets, calls after close, a config with bad credentials. Every error
 *    reported (errors$, thrown, rejected) is scanned, message, stack and every string field, and
 *    so is every logger call and everything written to stdout and stderr.
 * 2. AWS errors that echo credentials (a SignatureDoesNotMatch with the access key id, the
 *    signature and the session token in its text) are redacted in the library's messages.
 */
import { PutItemCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import anyTest, { type TestFn } from 'ava';
import { mockClient } from 'aws-sdk-client-mock';
import { lastValueFrom, take, toArray } from 'rxjs';
import { inspect } from 'node:util';
import { createKinesumer } from '../../src/index.js';
import { KinesumerError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { KinesumerRecord } from '../../src/record.js';
import { DynamoDBStateStore } from '../../src/state-store/dynamodb/dynamodb-state-store.js';
import { MemoryStateStore } from '../../src/state-store/memory-state-store.js';
import { createStream } from '../helpers/aws-fixtures.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { Ledger, TABLE, directClients, putBatch, sleep, startMember, waitUntil, withEmulators, type Emulators } from '../faults/fixtures.js';
import { MockKinesis } from '../faults/mock-kinesis.js';

const test = anyTest as TestFn<Emulators>;
withEmulators(test);

const SECRETS = {
  accessKeyId: 'AKIDSECRETKEYID7788',
  secretAccessKey: 'SeCrEtAcCeSsKeY+abc/xyz',
  sessionToken: 'SeSsIoNtOkEn-0123456789',
};
const PAYLOAD = 'PAYLOAD-TOPSECRET';
const FORBIDDEN = [SECRETS.accessKeyId, SECRETS.secretAccessKey, SECRETS.sessionToken, PAYLOAD];

/** Every string an error carries: message, stack, and its own string fields (not its cause, the SDK's). */
function textsOf(err: unknown): string[] {
  if (!(err instanceof Error)) return [String(err)];
  const fields = Object.entries(err)
    .filter(([key]) => key !== 'cause')
    .map(([, value]) => (typeof value === 'string' ? value : inspect(value, { depth: 3 })));
  return [err.message, err.stack ?? '', String(err), ...fields];
}

/** The forbidden strings found in `texts`, with where. */
function leaks(texts: Array<[string, string]>): string[] {
  return texts.flatMap(([where, text]) => FORBIDDEN.filter((secret) => text.includes(secret)).map((secret) => `${secret} in ${where}: ${text.slice(0, 300)}`));
}

test('a run in which everything goes wrong reports no credential and no payload, in errors or logs', async (t) => {
  const direct = directClients(t.context);
  const stream = `secret-${Date.now().toString(36)}`;
  await createStream(direct.kinesis, stream, 2);
  const kinesisProxy = await startTcpProxy({ port: t.context.kinesis.port });
  const dynamoProxy = await startTcpProxy({ port: t.context.dynamo.port });
  const app = 'secrets';

  // everything the library says, by any channel
  const logged: Array<[string, string]> = [];
  const logger: Logger = {
    debug: (fields, message) => logged.push(['logger.debug', `${message} ${JSON.stringify(fields)}`]),
    info: (fields, message) => logged.push(['logger.info', `${message} ${JSON.stringify(fields)}`]),
    warn: (fields, message) => logged.push(['logger.warn', `${message} ${JSON.stringify(fields)}`]),
    error: (fields, message) => logged.push(['logger.error', `${message} ${JSON.stringify(fields)}`]),
  };
  const written: Array<[string, string]> = [];
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: unknown, ...rest: never[]) => (written.push(['stdout', String(chunk)]), stdout(chunk as string, ...rest))) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, ...rest: never[]) => (written.push(['stderr', String(chunk)]), stderr(chunk as string, ...rest))) as typeof process.stderr.write;
  const errors: unknown[] = [];

  const ledger = new Ledger();
  const member = startMember(
    {
      app,
      clientId: 'only',
      kinesis: { endpoint: kinesisProxy.endpoint, region: 'us-east-1', credentials: SECRETS, http1: true },
      stateStore: { table: TABLE, endpoint: dynamoProxy.endpoint, region: 'us-east-1', credentials: SECRETS },
      initialPosition: 'TRIM_HORIZON',
      group: { syncInterval: 500, clientTimeout: 3000 },
      commit: { interval: 300 },
      polling: { idleInterval: 200 },
      retry: { initialDelay: 100, maxDelay: 500 },
      logger,
    },
    [stream],
    ledger,
  );
  try {
    // records whose payloads are secret, and a KPL aggregate (magic bytes) that is corrupt
    await putBatch(direct.kinesis, stream, PAYLOAD, 8, 20, 0);
    const magic = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);
    await direct.kinesis.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: [{ PartitionKey: 'agg', Data: Buffer.concat([magic, Buffer.from(`\x0a\x05${PAYLOAD}-in-an-aggregate`), Buffer.alloc(16, 7)]) }],
      }),
    );
    await waitUntil(() => ledger.deliveries.length >= 21, 20_000, 'the records');

    // Kinesis unreachable, then DynamoDB unreachable
    kinesisProxy.cut('reset');
    await putBatch(direct.kinesis, stream, PAYLOAD, 8, 10, 100);
    await sleep(2000);
    kinesisProxy.restore();
    await waitUntil(() => ledger.deliveries.length >= 31, 20_000, 'the records after the Kinesis outage');
    // records delivered while the store is unreachable: their commit must fail (CHECKPOINT_FAILED)
    dynamoProxy.cut('reset');
    const cutAt = Date.now();
    await putBatch(direct.kinesis, stream, PAYLOAD, 8, 5, 200);
    await waitUntil(() => ledger.deliveries.length >= 36, 1500, 'the records during the DynamoDB outage');
    await sleep(Math.max(0, 2000 - (Date.now() - cutAt)));
    dynamoProxy.restore();
    // a malformed item, with the payload prefix in it for good measure (state, not a payload: shown)
    await direct.dynamo.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: `client#${app}` }, sk: { S: 'ghost' }, last_update: { S: 'not a date' } } }));
    await sleep(1500);

    // misuse with a value that carries the secrets
    const lookAlike = { ...ledger.deliveries[0], data: new TextEncoder().encode(`${PAYLOAD}-x`), credentials: SECRETS } as unknown as KinesumerRecord;
    try {
      member.consumer.markRecord(lookAlike);
    } catch (err) {
      errors.push(err);
    }
    try {
      member.consumer.consume([stream]);
    } catch (err) {
      errors.push(err);
    }
    await member.close();
    try {
      member.consumer.markRecord(lookAlike);
    } catch (err) {
      errors.push(err);
    }
    await member.consumer.commit().catch((err: unknown) => errors.push(err));
    // a config with credentials of the wrong shape
    try {
      createKinesumer({ app, kinesis: { credentials: { ...SECRETS, accessKeyId: 42 as unknown as string } }, stateStore: { table: TABLE, credentials: { secretAccessKey: SECRETS.secretAccessKey } as never } });
    } catch (err) {
      errors.push(err);
    }
  } finally {
    process.stdout.write = stdout as typeof process.stdout.write;
    process.stderr.write = stderr as typeof process.stderr.write;
    await member.close();
    member.subscription.unsubscribe();
    await Promise.all([kinesisProxy.close(), dynamoProxy.close()]);
  }

  const reported = [...member.errors.map((e) => e.error), ...errors, ...(member.failed ? [member.failed] : [])];
  const codes = [...new Set(reported.map((e) => (e instanceof KinesumerError ? e.code : String(e))))].sort();
  t.log(`${reported.length} errors (${codes.join(', ')}), ${logged.length} log calls, ${written.length} writes to stdout/stderr scanned`);
  // the scan covered every kind of trouble
  for (const code of ['CHECKPOINT_FAILED', 'CLOSED', 'CONFIG_INVALID', 'FOREIGN_RECORD', 'KPL_AGGREGATE_CORRUPT', 'STATE_ITEM_MALFORMED', 'STATE_STORE_FAILED', 'USAGE']) {
    t.true(codes.includes(code), `no ${code} was reported: ${codes.join(', ')}`);
  }
  t.true(codes.some((c) => c.startsWith('KINESIS_')), codes.join(', '));
  t.true(logged.length > 0);
  const texts: Array<[string, string]> = [
    ...reported.flatMap((err, i) => textsOf(err).map((text): [string, string] => [`error ${i} (${(err as KinesumerError).code})`, text])),
    ...logged,
    ...written,
  ];
  t.deepEqual(leaks(texts).slice(0, 10), []);
});

test('AWS errors that echo credentials are redacted in the messages of Kinesis and state-store errors', async (t) => {
  const keyId = 'AKIAIOSFODNN7SECRET1';
  const signature = '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7';
  const echo =
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
    `and signing method. Authorization: AWS4-HMAC-SHA256 Credential=${keyId}/20240101/us-east-1/kinesis/aws4_request, ` +
    `SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=${signature}\nx-amz-security-token:${SECRETS.sessionToken}`;
  const signatureError = () => Object.assign(new Error(echo), { name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 400 } });
  const forbidden = [keyId, signature, SECRETS.sessionToken];

  // Kinesis: the leader's ListShards and a reader's GetRecords fail with the echo
  const kinesis = new MockKinesis({
    stream: 's',
    shards: 1,
    recordsPerShard: 3,
    inject: ({ op, n }) => ((op === 'ListShards' && n === 1) || (op === 'GetRecords' && n === 1) ? signatureError() : undefined),
  });
  const consumer = createKinesumer({
    app: 'echo',
    clientId: 'c',
    kinesis: kinesis.client,
    stateStore: new MemoryStateStore(),
    initialPosition: 'TRIM_HORIZON',
    group: { syncInterval: 200, clientTimeout: 1000 },
    retry: { initialDelay: 50, maxDelay: 100 },
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const errors: unknown[] = [];
  consumer.errors$.subscribe((e) => errors.push(e));
  await lastValueFrom(consumer.consume(['s']).pipe(take(3), toArray()));
  await consumer.close();
  kinesis.restore();

  // the state store: a heartbeat fails with the echo
  const client = new DynamoDBClient({ region: 'us-east-1', credentials: SECRETS });
  const dynamo = mockClient(client);
  dynamo.on(UpdateItemCommand).rejects(signatureError());
  await new DynamoDBStateStore({ table: TABLE, client }).pingClient('echo', 'c', new Date()).catch((err: unknown) => errors.push(err));
  dynamo.restore();

  t.is(errors.length, 3, errors.map(String).join('\n'));
  for (const err of errors) {
    const texts = textsOf(err);
    t.true(texts[0]!.includes('SignatureDoesNotMatch'), texts[0]);
    for (const secret of forbidden) t.false(texts.some((text) => text.includes(secret)), `${secret} in ${texts[0]}`);
  }
});
