/** The error hierarchy as users meet it: every class is exported, and foreign errors become library errors in one way. */
import test from 'ava';
import * as errors from '../src/errors.js';
import * as api from '../src/index.js';

test('every error class a user can receive is exported from the package entry point', (t) => {
  const classes = Object.entries(errors).filter(
    ([, value]) => typeof value === 'function' && (value === errors.KinesumerError || value.prototype instanceof errors.KinesumerError),
  );
  t.true(classes.length >= 14, classes.map(([name]) => name).join(', '));
  for (const [name, value] of classes) t.is((api as Record<string, unknown>)[name], value, `${name} is not exported by src/index.ts`);
});

test('toKinesumerError keeps a library error as it is and wraps anything else with its description, secrets redacted', (t) => {
  const own = new errors.ShardLostError('s', 'shardId-0');
  t.is(errors.toKinesumerError(own, () => t.fail() as never), own);
  const sdk = Object.assign(new Error('denied for AKIAABCDEFGHIJKLMNOP'), { name: 'AccessDeniedException' });
  const wrapped = errors.asStateStoreError(sdk, 'pingClient');
  t.true(wrapped instanceof errors.StateStoreError);
  t.is(wrapped.message, 'State store pingClient failed: AccessDeniedException: denied for [redacted]');
  t.is(wrapped.cause, sdk);
  t.true(wrapped.retriable);
  const kinesis = errors.asKinesisError('boom', 'GetRecords', 'orders', 'shardId-1');
  t.true(kinesis instanceof errors.KinesisError);
  t.is(kinesis.message, 'Kinesis GetRecords on stream "orders" shard shardId-1 failed: boom');
});
