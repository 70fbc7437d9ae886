/**
 * Config errors, every field: spec/config.spec.ts checks the wording on a few fields, ranges,
 * unknown keys and the cross-field rules. This adds what it leaves out: a value of the wrong type
 * in every field, each of which must give exactly one problem, at that field's dotted path, that
 * says what was expected and shows what was given (credentials excepted: only their type).
 */
import test from 'ava';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { ConfigError } from '../../src/errors.js';

const minimal = { app: 'billing', kinesis: { region: 'us-east-1' }, stateStore: { table: 'kinesumer-state-store' } };

/** `minimal` with `value` at `path` (dotted, under Config). */
function withValue(path: string, value: unknown): Record<string, unknown> {
  const config = JSON.parse(JSON.stringify(minimal)) as Record<string, unknown>;
  const keys = path.split('.').slice(1);
  let node = config;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
  return config;
}

// field, a value of the wrong type, and what the message must say was expected
const cases: Array<[string, unknown, RegExp]> = [
  ['Config.app', 42, /string/],
  ['Config.clientId', 42, /string/],
  ['Config.initialPosition', 42, /'LATEST' \| 'TRIM_HORIZON' \| \{ timestamp: Date \}/],
  ['Config.kinesis', 'us-east-1', /KinesisClient \| KinesisOptions/],
  ['Config.kinesis.region', 42, /string/],
  ['Config.kinesis.endpoint', 42, /URL|string/],
  ['Config.kinesis.http1', 'yes', /boolean/],
  ['Config.stateStore', 'kinesumer-state-store', /StateStore \| DynamoDBStateStoreOptions/],
  ['Config.stateStore.table', 42, /table name|string/],
  ['Config.stateStore.region', 42, /string/],
  ['Config.stateStore.endpoint', 42, /URL|string/],
  ['Config.stateStore.client', { send: 'not a function' }, /DynamoDBClient/],
  ['Config.group', 'fast', /object/],
  ['Config.group.syncInterval', '5000', /number|integer/],
  ['Config.group.clientTimeout', '10000', /number|integer/],
  ['Config.commit.auto', 'yes', /boolean/],
  ['Config.commit.interval', true, /number|integer/],
  ['Config.commit.timeout', [], /number|integer/],
  ['Config.polling.scanLimit', '100', /number|integer/],
  ['Config.polling.scanTimeout', null, /number|integer/],
  ['Config.polling.idleInterval', '1s', /number|integer/],
  ['Config.polling.maxInFlight', 1.5, /positive integer/],
  ['Config.retry.initialDelay', '100', /number|integer/],
  ['Config.retry.maxDelay', {}, /number|integer/],
  ['Config.scheduler', 'async', /SchedulerLike/],
  ['Config.efo', 'yes', /boolean \| \{ consumerName/],
];

for (const [path, value, expected] of cases) {
  test(`${path} of the wrong type (${JSON.stringify(value)}) is one problem naming the field`, (t) => {
    const err = t.throws(() => resolveConfig(withValue(path, value)), { instanceOf: ConfigError });
    const problems = (err as ConfigError).problems;
    t.deepEqual(problems.map((p) => p.path), [path], problems.map((p) => p.message).join('\n'));
    const message = problems[0]!.message;
    t.true(message.includes(path), message);
    t.regex(message, expected);
    // it shows what was given (objects and arrays are described, not dumped)
    t.true(message.includes(JSON.stringify(value)) || /got: an? (array|object)/.test(message), message);
    t.true(err!.message.includes(message));
  });
}

test('credentials of the wrong shape are one problem per bad field, never showing the values', (t) => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY';
  for (const where of ['kinesis', 'stateStore'] as const) {
    const config = withValue(`Config.${where}.credentials`, { accessKeyId: 42, secretAccessKey: secret, sessionToken: false });
    const err = t.throws(() => resolveConfig(config), { instanceOf: ConfigError }) as ConfigError;
    t.deepEqual(err.problems.map((p) => p.path).sort(), [
      `Config.${where}.credentials.accessKeyId`,
      `Config.${where}.credentials.sessionToken`,
    ]);
    t.false(err.message.includes(secret));
    t.false(err.message.includes('42'), 'not even the bad access key id is shown');
  }
});
