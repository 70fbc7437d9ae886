import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import test, { type ExecutionContext } from 'ava';
import { asyncScheduler, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DEFAULTS, resolveConfig, type KinesumerConfig } from '../../src/config/resolve-config.js';
import { defaultScanTimeout } from '../../src/config/defaults.js';
import { ConfigError } from '../../src/errors.js';
import type { StateStore } from '../../src/state-store/state-store.js';

/** The smallest valid configuration. */
const minimal = (): KinesumerConfig => ({
  app: 'billing',
  kinesis: { region: 'us-east-1' },
  stateStore: { table: 'kinesumer-state-store' },
});

/** `minimal()` with `patch` applied; the patch may be anything, typed or not. */
const withPatch = (patch: Record<string, unknown>): unknown => ({ ...minimal(), ...patch });

/** A StateStore that answers everything with nothing. */
const fakeStore = (): StateStore => ({
  pingClient: () => of(undefined),
  deregisterClient: () => of(undefined),
  listAliveClients: () => of([]),
  pruneClients: () => of([]),
  getShards: () => of(undefined),
  updateShards: () => of(undefined),
  getCheckpoints: () => of([]),
  updateCheckpoints: () => of(undefined),
  listShardStates: () => of([]),
  acquireShard: () => of(undefined),
  releaseShard: () => of(undefined),
  commitShard: () => of(false),
  deleteShardStates: () => of(undefined),
});

/** Resolves `input`, which must fail with one ConfigError; returns it. */
function rejects(t: ExecutionContext, input: unknown): ConfigError {
  let thrown: unknown;
  try {
    resolveConfig(input);
  } catch (err) {
    thrown = err;
  }
  t.true(thrown instanceof ConfigError, `expected a ConfigError, got ${String(thrown)}`);
  const err = thrown as ConfigError;
  t.is(err.code, 'CONFIG_INVALID');
  // Every problem is in the error message.
  for (const problem of err.problems) t.true(err.message.includes(problem.message));
  return err;
}

/** The paths of the problems of `err`. */
const paths = (err: ConfigError): string[] => err.problems.map((p) => p.path);

/** The one problem of `err` at `path` (it must exist). */
function problemAt(t: ExecutionContext, err: ConfigError, path: string): string {
  const problem = err.problems.find((p) => p.path === path);
  t.truthy(problem, `no problem at ${path}; got ${paths(err).join(', ')}`);
  t.true(problem?.message.includes(path), `message does not name ${path}: ${problem?.message}`);
  return problem?.message ?? '';
}

test('a minimal config gets the documented defaults', (t) => {
  const config = resolveConfig(minimal());

  t.is(config.app, 'billing');
  t.regex(config.clientId, new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}$`));
  t.deepEqual(config.kinesis, { region: 'us-east-1' });
  t.deepEqual(config.stateStore, { table: 'kinesumer-state-store' });
  t.is(config.initialPosition, 'LATEST');
  t.deepEqual(config.group, { syncInterval: 5000, clientTimeout: 10000, assignment: 'sticky', staticMembership: false });
  t.deepEqual(config.commit, { auto: true, interval: 5000, timeout: 2000, itemInterval: 60000 });
  t.deepEqual(config.polling, { scanLimit: 2000, scanTimeout: 2000, idleInterval: 1000, maxInFlight: 4000 });
  t.deepEqual(config.retry, { initialDelay: 100, maxDelay: 30000 });
  t.is(config.scheduler, asyncScheduler);
});

test('DEFAULTS holds the documented numbers', (t) => {
  t.deepEqual(DEFAULTS, {
    initialPosition: 'LATEST',
    group: { syncInterval: 5000, clientTimeout: 10000, assignment: 'sticky', staticMembership: false },
    commit: { auto: true, interval: 5000, timeout: 2000, itemInterval: 60000 },
    polling: { scanLimit: 2000, scanTimeout: 2000, idleInterval: 1000, maxInFlight: 4000 },
    retry: { initialDelay: 100, maxDelay: 30000 },
    metrics: { interval: 10000, stallTimeout: 60000 },
    efo: false,
  });
});

test('the default scanTimeout grows with scanLimit, 1 ms per record from 2000 records on; a given one is kept', (t) => {
  const polling = (p: Record<string, number>) => resolveConfig({ ...minimal(), polling: p }).polling;
  // up to the default scanLimit, kinesumer's 2 s
  t.is(polling({ scanLimit: 1 }).scanTimeout, 2000);
  t.is(polling({ scanLimit: 2000 }).scanTimeout, 2000);
  // a larger page gets the same time per record
  t.is(polling({ scanLimit: 2001 }).scanTimeout, 2001);
  t.is(polling({ scanLimit: 10000 }).scanTimeout, 10000);
  t.is(defaultScanTimeout(10000), 10000);
  // an explicit scanTimeout wins, whatever the scanLimit
  t.is(polling({ scanLimit: 10000, scanTimeout: 2000 }).scanTimeout, 2000);
  t.is(polling({ scanTimeout: 300 }).scanTimeout, 300);
  t.deepEqual(polling({ scanLimit: 10000 }), { scanLimit: 10000, scanTimeout: 10000, idleInterval: 1000, maxInFlight: 4000 });
});

test('a logger must have debug, info, warn and error; metrics.interval must be a positive integer', (t) => {
  const err = t.throws(() => resolveConfig({ ...minimal(), logger: { info: () => undefined }, metrics: { interval: -1 } }), {
    instanceOf: ConfigError,
  });
  t.regex(err!.message, /Config\.logger/);
  t.regex(err!.message, /debug, info, warn and error/);
  t.regex(err!.message, /Config\.metrics\.interval/);
});

test('two clients without a clientId get different ids', (t) => {
  t.not(resolveConfig(minimal()).clientId, resolveConfig(minimal()).clientId);
});

test('a full config is kept, and clients, stores and schedulers are the very objects given', (t) => {
  const kinesis = new KinesisClient({ region: 'us-east-1' });
  const stateStore = fakeStore();
  const scheduler = new TestScheduler((a, b) => t.deepEqual(a, b));
  const timestamp = new Date('2024-05-01T00:00:00Z');

  const config = resolveConfig({
    app: 'billing',
    clientId: 'worker-1',
    kinesis,
    stateStore,
    initialPosition: { timestamp },
    group: { syncInterval: 1000, clientTimeout: 1500 },
    commit: { auto: false, interval: 100, timeout: 50, itemInterval: 1000 },
    polling: { scanLimit: 10000, scanTimeout: 300, idleInterval: 200, maxInFlight: 50 },
    retry: { initialDelay: 10, maxDelay: 10 },
    scheduler,
  });

  t.is(config.kinesis, kinesis);
  t.is(config.stateStore, stateStore);
  t.is(config.scheduler, scheduler);
  t.is(config.clientId, 'worker-1');
  t.deepEqual(config.initialPosition, { timestamp });
  t.deepEqual(config.group, { syncInterval: 1000, clientTimeout: 1500, assignment: 'sticky', staticMembership: false });
  t.deepEqual(config.commit, { auto: false, interval: 100, timeout: 50, itemInterval: 1000 });
  t.deepEqual(config.polling, { scanLimit: 10000, scanTimeout: 300, idleInterval: 200, maxInFlight: 50 });
  t.deepEqual(config.retry, { initialDelay: 10, maxDelay: 10 });
});

test('option objects with every field are accepted and copied', (t) => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const kinesis = {
    region: 'eu-west-1',
    endpoint: 'https://kinesis.example.com:4567/',
    credentials: { accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: 'token' },
    roleArn: 'arn:aws-cn:iam::123456789012:role/reader',
    http1: true,
  };
  const stateStore = { table: 'my_table.v-1', region: 'eu-west-1', endpoint: 'http://localhost:8000', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };

  const config = resolveConfig({ ...minimal(), kinesis, stateStore, initialPosition: 'TRIM_HORIZON' });

  t.deepEqual(config.kinesis, kinesis);
  t.not(config.kinesis, kinesis);
  t.deepEqual(config.stateStore, stateStore);
  t.is(config.initialPosition, 'TRIM_HORIZON');
  const withClient = resolveConfig({ ...minimal(), region: 'us-west-2', stateStore: { table: 'my_table.v-1', client } });
  t.deepEqual(withClient.stateStore, { table: 'my_table.v-1', client });
  t.is((withClient.stateStore as { client: unknown }).client, client);
});

test('stateStore.client brings its own region, endpoint and credentials: giving them too is refused, not ignored', (t) => {
  const client = new DynamoDBClient({ region: 'us-east-1' });
  const err = rejects(
    t,
    withPatch({ stateStore: { table: 'abc', client, region: 'eu-west-1', endpoint: 'http://localhost:8000', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } } }),
  );
  t.deepEqual(paths(err), ['Config.stateStore.region', 'Config.stateStore.endpoint', 'Config.stateStore.credentials']);
  t.is(
    problemAt(t, err, 'Config.stateStore.region'),
    'Unexpected Config.stateStore.region together with Config.stateStore.client - the client brings its own region; ' +
      'set it on the client, or give the options without a client',
  );
  t.false(err.message.includes('"b"'));
});

test('a credential provider function is accepted as it is', (t) => {
  const credentials = async () => ({ accessKeyId: 'id', secretAccessKey: 'secret' });
  const config = resolveConfig(withPatch({ kinesis: { credentials } }));
  t.is((config.kinesis as { credentials?: unknown }).credentials, credentials);
});

test('a missing app is reported in io-ts-reporters wording', (t) => {
  const { app: _app, ...rest } = minimal();
  const err = rejects(t, rest);

  t.deepEqual(paths(err), ['Config.app']);
  t.is(err.problems[0]?.message, 'Expecting string at Config.app but instead got: undefined');
});

test('a missing kinesis and stateStore are reported', (t) => {
  const err = rejects(t, { app: 'billing' });

  t.deepEqual(paths(err), ['Config.kinesis', 'Config.stateStore']);
  t.regex(problemAt(t, err, 'Config.kinesis'), /Expecting KinesisClient \| KinesisOptions at Config\.kinesis but instead got: undefined/);
});

for (const [app, why] of [
  ['', 'empty'],
  ['a#b', 'contains #'],
  ['x'.repeat(101), 'longer than 100'],
] as const) {
  test(`an app name that is ${why} is rejected`, (t) => {
    const err = rejects(t, withPatch({ app }));
    t.deepEqual(paths(err), ['Config.app']);
    t.regex(problemAt(t, err, 'Config.app'), /^Invalid value ".*" for Config\.app - Expected a non-empty string of at most 100 characters without '#'/);
  });
}

test('a clientId that is empty or contains # is rejected', (t) => {
  for (const clientId of ['', 'host#1']) {
    const err = rejects(t, withPatch({ clientId }));
    t.deepEqual(paths(err), ['Config.clientId']);
    t.regex(problemAt(t, err, 'Config.clientId'), /without '#'/);
  }
});

test('values of the wrong type are reported with the expected type', (t) => {
  const err = rejects(
    t,
    withPatch({
      app: 42,
      group: { syncInterval: '5000' },
      commit: { auto: 'yes' },
      kinesis: { http1: 1 },
      polling: 'fast',
    }),
  );

  t.is(problemAt(t, err, 'Config.app'), 'Expecting string at Config.app but instead got: 42');
  t.is(problemAt(t, err, 'Config.group.syncInterval'), 'Expecting number at Config.group.syncInterval but instead got: "5000"');
  t.is(problemAt(t, err, 'Config.commit.auto'), 'Expecting boolean at Config.commit.auto but instead got: "yes"');
  t.is(problemAt(t, err, 'Config.kinesis.http1'), 'Expecting boolean at Config.kinesis.http1 but instead got: 1');
  t.is(problemAt(t, err, 'Config.polling'), 'Expecting object at Config.polling but instead got: "fast"');
  t.is(err.problems.length, 5);
});

const msFields = [
  ['group', 'syncInterval'],
  ['group', 'clientTimeout'],
  ['commit', 'interval'],
  ['commit', 'timeout'],
  ['polling', 'scanTimeout'],
  ['retry', 'initialDelay'],
  ['retry', 'maxDelay'],
] as const;

for (const value of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
  test(`a duration of ${value} ms is rejected in every millisecond field`, (t) => {
    for (const [section, field] of msFields) {
      const err = rejects(t, withPatch({ [section]: { [field]: value } }));
      const path = `Config.${section}.${field}`;
      t.deepEqual(paths(err), [path]);
      t.is(problemAt(t, err, path), `Invalid value ${value} for ${path} - Expected a positive integer (milliseconds)`);
    }
  });
}

test('scanLimit outside 1..10000 is rejected', (t) => {
  for (const scanLimit of [0, 10001, 2.5, -5]) {
    const err = rejects(t, withPatch({ polling: { scanLimit } }));
    t.deepEqual(paths(err), ['Config.polling.scanLimit']);
    t.is(
      problemAt(t, err, 'Config.polling.scanLimit'),
      `Invalid value ${scanLimit} for Config.polling.scanLimit - Expected an integer from 1 to 10000 (records per GetRecords call)`,
    );
  }
  t.is(resolveConfig(withPatch({ polling: { scanLimit: 1 } })).polling.scanLimit, 1);
});

test('idleInterval below 200 ms is rejected', (t) => {
  const err = rejects(t, withPatch({ polling: { idleInterval: 199 } }));

  t.deepEqual(paths(err), ['Config.polling.idleInterval']);
  const message = problemAt(t, err, 'Config.polling.idleInterval');
  t.regex(message, /^Invalid value 199 for Config\.polling\.idleInterval - Expected an integer of at least 200/);
  t.regex(message, /5 GetRecords calls per second per shard/);
});

test('clientTimeout not greater than syncInterval is rejected, naming both fields and values', (t) => {
  const err = rejects(t, withPatch({ group: { syncInterval: 4000, clientTimeout: 4000 } }));

  t.deepEqual(paths(err), ['Config.group.clientTimeout']);
  const message = problemAt(t, err, 'Config.group.clientTimeout');
  t.regex(message, /^Invalid value 4000 for Config\.group\.clientTimeout - Expected more than Config\.group\.syncInterval \(4000\)/);
  t.regex(message, /at least 2x syncInterval \(8000\) is recommended/);
});

test('a syncInterval above the default clientTimeout is rejected, saying the timeout is the default', (t) => {
  const err = rejects(t, withPatch({ group: { syncInterval: 20000 } }));

  t.deepEqual(paths(err), ['Config.group.clientTimeout']);
  t.regex(
    problemAt(t, err, 'Config.group.clientTimeout'),
    /^Invalid value 10000 \(the default\) for Config\.group\.clientTimeout - Expected more than Config\.group\.syncInterval \(20000\)/,
  );
});

test('a clientTimeout just above syncInterval is accepted (2x is only recommended)', (t) => {
  const config = resolveConfig(withPatch({ group: { syncInterval: 5000, clientTimeout: 5001 } }));
  t.deepEqual(config.group, { syncInterval: 5000, clientTimeout: 5001, assignment: 'sticky', staticMembership: false });
});

test('maxDelay below initialDelay is rejected', (t) => {
  const err = rejects(t, withPatch({ retry: { initialDelay: 500, maxDelay: 400 } }));
  t.deepEqual(paths(err), ['Config.retry.maxDelay']);
  t.is(
    problemAt(t, err, 'Config.retry.maxDelay'),
    'Invalid value 400 for Config.retry.maxDelay - Expected at least Config.retry.initialDelay (500)',
  );

  const againstDefault = rejects(t, withPatch({ retry: { maxDelay: 50 } }));
  t.regex(problemAt(t, againstDefault, 'Config.retry.maxDelay'), /Config\.retry\.initialDelay \(100, the default\)/);
});

test('an unknown top-level key is rejected, with a suggestion for a typo', (t) => {
  const err = rejects(t, withPatch({ gruop: { syncInterval: 1000 } }));

  t.deepEqual(paths(err), ['Config.gruop']);
  const message = problemAt(t, err, 'Config.gruop');
  t.regex(message, /^Unknown key Config\.gruop - did you mean Config\.group\?/);
  t.regex(message, /accepted keys: app, kinesis, stateStore, clientId, region, initialPosition, group, commit, polling, retry, scheduler, metrics, logger, efo\)/);
});

test('an unknown key without a near match is still rejected', (t) => {
  const err = rejects(t, withPatch({ verbose: true }));
  t.deepEqual(paths(err), ['Config.verbose']);
  t.notRegex(problemAt(t, err, 'Config.verbose'), /did you mean/);
});

for (const [patch, path, suggestion] of [
  [{ group: { syncIntervall: 1000 } }, 'Config.group.syncIntervall', 'Config.group.syncInterval'],
  [{ commit: { intervall: 1000 } }, 'Config.commit.intervall', 'Config.commit.interval'],
  [{ polling: { scanlimit: 100 } }, 'Config.polling.scanlimit', 'Config.polling.scanLimit'],
  [{ retry: { maxdelay: 100 } }, 'Config.retry.maxdelay', 'Config.retry.maxDelay'],
  [{ kinesis: { regoin: 'us-east-1' } }, 'Config.kinesis.regoin', 'Config.kinesis.region'],
  [{ stateStore: { table: 'abc', tabel: 'abd' } }, 'Config.stateStore.tabel', 'Config.stateStore.table'],
  [{ initialPosition: { timestamp: new Date(0), timestampp: 1 } }, 'Config.initialPosition.timestampp', 'Config.initialPosition.timestamp'],
] as const) {
  test(`an unknown nested key ${path} is rejected`, (t) => {
    const err = rejects(t, withPatch(patch));
    t.deepEqual(paths(err), [path]);
    t.true(problemAt(t, err, path).includes(`did you mean ${suggestion}?`));
  });
}

test('an endpoint that is not an http(s) URL is rejected', (t) => {
  for (const endpoint of ['localhost:4567', 'not a url', 'ftp://example.com', '']) {
    const err = rejects(t, withPatch({ kinesis: { endpoint }, stateStore: { table: 'abc', endpoint } }));
    t.deepEqual(paths(err), ['Config.kinesis.endpoint', 'Config.stateStore.endpoint']);
    t.is(
      problemAt(t, err, 'Config.kinesis.endpoint'),
      `Invalid value ${JSON.stringify(endpoint)} for Config.kinesis.endpoint - Expected an http:// or https:// URL such as "http://localhost:4567"`,
    );
  }
});

test('a roleArn that is not an IAM role ARN is rejected', (t) => {
  for (const roleArn of ['arn:aws:iam::12345:role/reader', 'arn:aws:iam::123456789012:user/bob', 'reader']) {
    const err = rejects(t, withPatch({ kinesis: { roleArn } }));
    t.deepEqual(paths(err), ['Config.kinesis.roleArn']);
    t.regex(problemAt(t, err, 'Config.kinesis.roleArn'), /Expected an IAM role ARN such as "arn:aws:iam::123456789012:role\/reader"/);
  }
});

test('a bad table name is rejected', (t) => {
  for (const table of ['ab', 'my table', 'x'.repeat(256), 'kinesumer/state']) {
    const err = rejects(t, withPatch({ stateStore: { table } }));
    t.deepEqual(paths(err), ['Config.stateStore.table']);
    t.regex(problemAt(t, err, 'Config.stateStore.table'), /Expected a DynamoDB table name: 3 to 255 characters/);
  }
  const missing = rejects(t, withPatch({ stateStore: { region: 'us-east-1' } }));
  t.is(problemAt(t, missing, 'Config.stateStore.table'), 'Expecting string at Config.stateStore.table but instead got: undefined');
});

test('a bad initialPosition lists the accepted values', (t) => {
  const lowercase = rejects(t, withPatch({ initialPosition: 'latest' }));
  t.deepEqual(paths(lowercase), ['Config.initialPosition']);
  t.is(
    problemAt(t, lowercase, 'Config.initialPosition'),
    `Invalid value "latest" for Config.initialPosition - Expected one of 'LATEST', 'TRIM_HORIZON' or { timestamp: Date } (case-sensitive: did you mean 'LATEST'?)`,
  );

  const number = rejects(t, withPatch({ initialPosition: 42 }));
  t.is(
    problemAt(t, number, 'Config.initialPosition'),
    `Expecting 'LATEST' | 'TRIM_HORIZON' | { timestamp: Date } at Config.initialPosition but instead got: 42`,
  );
});

test('a timestamp that is not a valid Date is rejected', (t) => {
  const invalid = rejects(t, withPatch({ initialPosition: { timestamp: new Date('not a date') } }));
  t.deepEqual(paths(invalid), ['Config.initialPosition.timestamp']);
  t.is(
    problemAt(t, invalid, 'Config.initialPosition.timestamp'),
    'Invalid value Invalid Date for Config.initialPosition.timestamp - Expected a valid Date',
  );

  const text = rejects(t, withPatch({ initialPosition: { timestamp: '2024-05-01' } }));
  t.is(
    problemAt(t, text, 'Config.initialPosition.timestamp'),
    'Expecting Date at Config.initialPosition.timestamp but instead got: "2024-05-01"',
  );
});

for (const [input, shown] of [
  [undefined, 'undefined'],
  [null, 'null'],
  ['billing', '"billing"'],
  [[], 'an array'],
] as const) {
  test(`a config that is not an object (${shown}) is rejected at Config`, (t) => {
    const err = rejects(t, input);
    t.deepEqual(err.problems, [{ path: 'Config', message: `Expecting object at Config but instead got: ${shown}` }]);
  });
}

test('kinesis must be a KinesisClient or an options object', (t) => {
  const dynamo = new DynamoDBClient({ region: 'us-east-1' });
  for (const [kinesis, shown] of [
    ['us-east-1', '"us-east-1"'],
    [dynamo, 'an instance of DynamoDBClient - it is a client of DynamoDB, not of Kinesis'],
    [{ send() {} }, 'an object - it has send() but no config.serviceId, so it is not an AWS SDK v3 client (@aws-sdk/client-kinesis)'],
  ] as const) {
    const err = rejects(t, withPatch({ kinesis }));
    t.deepEqual(paths(err), ['Config.kinesis']);
    t.is(problemAt(t, err, 'Config.kinesis'), `Expecting KinesisClient | KinesisOptions at Config.kinesis but instead got: ${shown}`);
  }
});

test('a StateStore missing some methods is reported method by method', (t) => {
  const { getShards: _g, pruneClients: _p, acquireShard: _a, ...partial } = fakeStore();
  const err = rejects(t, withPatch({ stateStore: partial }));

  t.deepEqual(paths(err), ['Config.stateStore.getShards', 'Config.stateStore.pruneClients', 'Config.stateStore.acquireShard']);
  t.is(
    problemAt(t, err, 'Config.stateStore.getShards'),
    'Expecting function (StateStore.getShards) at Config.stateStore.getShards but instead got: undefined',
  );
});

test('a StateStore class instance with methods on its prototype is accepted as it is', (t) => {
  class Store {
    readonly table = 'kept';
    pingClient() { return of(undefined); }
    deregisterClient() { return of(undefined); }
    listAliveClients() { return of([] as string[]); }
    pruneClients() { return of([] as string[]); }
    getShards() { return of(undefined); }
    updateShards() { return of(undefined); }
    getCheckpoints() { return of([]); }
    updateCheckpoints() { return of(undefined); }
    listShardStates() { return of([]); }
    acquireShard() { return of(undefined); }
    releaseShard() { return of(undefined); }
    commitShard() { return of(false); }
    deleteShardStates() { return of(undefined); }
  }
  const store = new Store();
  t.is(resolveConfig(withPatch({ stateStore: store })).stateStore, store);
});

test('stateStore.client must be a DynamoDB client', (t) => {
  for (const [client, shown] of [
    [{ send() {} }, 'an object - it has send() but no config.serviceId, so it is not an AWS SDK v3 client (@aws-sdk/client-dynamodb)'],
    ['client', '"client" - pass an AWS SDK v3 client (@aws-sdk/client-dynamodb)'],
    [new KinesisClient({ region: 'us-east-1' }), 'an instance of KinesisClient - it is a client of Kinesis, not of DynamoDB'],
  ] as const) {
    const err = rejects(t, withPatch({ stateStore: { table: 'abc', client } }));
    t.deepEqual(paths(err), ['Config.stateStore.client']);
    t.is(problemAt(t, err, 'Config.stateStore.client'), `Expecting DynamoDBClient at Config.stateStore.client but instead got: ${shown}`);
  }
});

test('a scheduler without now() and schedule() is rejected', (t) => {
  const err = rejects(t, withPatch({ scheduler: { now: () => 0 } }));
  t.deepEqual(paths(err), ['Config.scheduler']);
  t.regex(problemAt(t, err, 'Config.scheduler'), /^Expecting SchedulerLike \(an object with now\(\) and schedule\(\)\) at Config\.scheduler/);
});

test('several mistakes are all reported in one error', (t) => {
  const err = rejects(t, {
    app: 'a#b',
    kinesis: { endpoint: 'nope' },
    stateStore: { table: 'x' },
    initialPosition: 'NEWEST',
    gruop: {},
    group: { syncInterval: 0 },
    commit: { interval: -5 },
    polling: { scanLimit: 20000, idleInterval: 100 },
    retry: { initialDelay: 1000, maxDelay: 10 },
  });

  t.deepEqual(
    [...paths(err)].sort(),
    [
      'Config.app',
      'Config.commit.interval',
      'Config.group.syncInterval',
      'Config.gruop',
      'Config.initialPosition',
      'Config.kinesis.endpoint',
      'Config.polling.idleInterval',
      'Config.polling.scanLimit',
      'Config.retry.maxDelay',
      'Config.stateStore.table',
    ],
  );
  t.is(err.message.split('\n').length, 1 + err.problems.length);
});

test('credential values never appear in messages', (t) => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const err = rejects(t, {
    ...minimal(),
    kinesis: { credentials: { accessKeyId: 12345, secretAccessKey: secret, sessionToken: 7 } },
    stateStore: { table: 'abc', credentials: secret },
    // A secret under an unknown key (credentials not nested) is not shown either.
    secretAccessKey: secret,
  });

  t.deepEqual(
    [...paths(err)].sort(),
    [
      'Config.kinesis.credentials.accessKeyId',
      'Config.kinesis.credentials.sessionToken',
      'Config.secretAccessKey',
      'Config.stateStore.credentials',
    ],
  );
  t.is(
    problemAt(t, err, 'Config.kinesis.credentials.accessKeyId'),
    'Expecting string at Config.kinesis.credentials.accessKeyId but instead got: a number (hidden)',
  );
  t.regex(problemAt(t, err, 'Config.stateStore.credentials'), /but instead got: a string \(hidden\)$/);
  for (const text of [err.message, String(err.stack), JSON.stringify(err.problems)]) {
    t.false(text.includes(secret));
    t.false(text.includes('12345'));
  }
});

test('a secret given where an object was expected is described, not shown', (t) => {
  const secret = 'AKIAIOSFODNN7EXAMPLE';
  const err = rejects(t, withPatch({ kinesis: { credentials: { accessKeyId: secret } } }));

  t.deepEqual(paths(err), ['Config.kinesis.credentials.secretAccessKey']);
  t.false(err.message.includes(secret));
});

test('polling.maxInFlight must be a positive integer', (t) => {
  const err = t.throws(() => resolveConfig({ ...minimal(), polling: { maxInFlight: 0 } }), { instanceOf: ConfigError });
  t.regex(err!.message, /Config\.polling\.maxInFlight/);
  t.regex(err!.message, /positive integer \(records\)/);
});

// ---------------------------------------------------------------------------------------------
// efo (enhanced fan-out)

test('efo is off by default; true turns it on with the default name (found at consume) and no deregistration', (t) => {
  t.is(resolveConfig(minimal()).efo, false);
  t.is(resolveConfig(withPatch({ efo: false })).efo, false);
  t.deepEqual(resolveConfig(withPatch({ efo: true })).efo, { consumerName: undefined, deregisterOnClose: false });
});

test('efo options are kept; deregisterOnClose defaults to false', (t) => {
  t.deepEqual(resolveConfig(withPatch({ efo: { consumerName: 'billing.v2_eu-1' } })).efo, {
    consumerName: 'billing.v2_eu-1',
    deregisterOnClose: false,
  });
  t.deepEqual(resolveConfig(withPatch({ efo: { deregisterOnClose: true } })).efo, { consumerName: undefined, deregisterOnClose: true });
  t.deepEqual(resolveConfig(withPatch({ efo: {} })).efo, { consumerName: undefined, deregisterOnClose: false });
});

test('efo of the wrong type is reported with the accepted shapes', (t) => {
  const err = rejects(t, withPatch({ efo: 'yes' }));
  t.deepEqual(paths(err), ['Config.efo']);
  t.is(
    problemAt(t, err, 'Config.efo'),
    'Expecting boolean | { consumerName?: string, deregisterOnClose?: boolean } at Config.efo but instead got: "yes"',
  );
  t.deepEqual(paths(rejects(t, withPatch({ efo: [] }))), ['Config.efo']);
});

test('an unknown efo key is rejected with a suggestion', (t) => {
  const err = rejects(t, withPatch({ efo: { consumername: 'x' } }));
  t.deepEqual(paths(err), ['Config.efo.consumername']);
  t.regex(problemAt(t, err, 'Config.efo.consumername'), /did you mean Config\.efo\.consumerName\?/);
  t.regex(problemAt(t, err, 'Config.efo.consumername'), /accepted keys: consumerName, deregisterOnClose/);
});

test('efo.consumerName must be a Kinesis consumer name; deregisterOnClose a boolean', (t) => {
  for (const consumerName of ['', 'has space', 'a/b', 'x'.repeat(129)]) {
    const err = rejects(t, withPatch({ efo: { consumerName } }));
    t.deepEqual(paths(err), ['Config.efo.consumerName']);
    t.regex(problemAt(t, err, 'Config.efo.consumerName'), /Expected a Kinesis consumer name: 1 to 128 characters/);
  }
  t.notThrows(() => resolveConfig(withPatch({ efo: { consumerName: 'x'.repeat(128) } })));
  const err = rejects(t, withPatch({ efo: { deregisterOnClose: 'yes' } }));
  t.is(problemAt(t, err, 'Config.efo.deregisterOnClose'), 'Expecting boolean at Config.efo.deregisterOnClose but instead got: "yes"');
});

test('with efo on and no consumerName, an app name Kinesis does not take as a consumer name is reported', (t) => {
  const err = rejects(t, withPatch({ app: 'my app', efo: true }));
  t.deepEqual(paths(err), ['Config.efo.consumerName']);
  t.regex(problemAt(t, err, 'Config.efo.consumerName'), /default consumer name "my app-us-east-1" \(Config\.app, with -<region> appended\)/);
  // the same app with an explicit name, or without efo, is fine
  t.notThrows(() => resolveConfig(withPatch({ app: 'my app', efo: { consumerName: 'my-app' } })));
  t.notThrows(() => resolveConfig(withPatch({ app: 'my app' })));
});

test('with efo on, a KinesisApi seam without the enhanced fan-out calls is rejected', (t) => {
  const seam = { listShards: () => of([]), getShardIterator: () => of('it'), getRecords: () => of({ records: [] }) };
  const err = rejects(t, withPatch({ kinesis: seam, efo: true }));
  t.deepEqual(paths(err), ['Config.kinesis']);
  t.regex(problemAt(t, err, 'Config.kinesis'), /enhanced fan-out calls \(EfoKinesisApi/);
  t.notThrows(() => resolveConfig(withPatch({ kinesis: seam })));
});

test('efo is listed among the accepted top-level keys', (t) => {
  const err = rejects(t, withPatch({ efoo: true }));
  t.regex(problemAt(t, err, 'Config.efoo'), /did you mean Config\.efo\?/);
  t.regex(problemAt(t, err, 'Config.efoo'), /accepted keys: .*\befo\b/);
});

test('retry.random replaces Math.random for backoff jitter; anything but a function is refused', (t) => {
  const random = () => 0.5;
  t.is(resolveConfig(withPatch({ retry: { random } })).retry.random, random);
  t.is(resolveConfig(withPatch({})).retry.random, undefined);
  const err = rejects(t, withPatch({ retry: { random: 0.5 } }));
  t.deepEqual(paths(err), ['Config.retry.random']);
  t.is(problemAt(t, err, 'Config.retry.random'), 'Expecting a function returning a number in [0, 1) at Config.retry.random but instead got: 0.5');
});

test('group.assignment takes one of the strategies and nothing else', (t) => {
  t.is(resolveConfig(withPatch({ group: { assignment: 'balanced' } })).group.assignment, 'balanced');
  t.is(resolveConfig(withPatch({ group: { assignment: 'kinesumer' } })).group.assignment, 'kinesumer');
  const err = rejects(t, withPatch({ group: { assignment: 'round-robin' } }));
  t.is(problemAt(t, err, 'Config.group.assignment'), `Invalid value "round-robin" for Config.group.assignment - Expected 'sticky' | 'balanced' | 'kinesumer'`);
});

test('group.staticMembership needs a clientId of the user', (t) => {
  const err = rejects(t, { app: 'a', kinesis: { region: 'us-east-1' }, stateStore: { table: 'ttt' }, group: { staticMembership: true } });
  t.deepEqual(paths(err), ['Config.clientId']);
  t.regex(problemAt(t, err, 'Config.clientId'), /^Missing Config\.clientId - Config\.group\.staticMembership keeps shards reserved/);
  t.true(resolveConfig(withPatch({ clientId: 'pod-1', group: { staticMembership: true } })).group.staticMembership);
});
