/**
 * Codecs of the configuration's sections (`group`, `commit`, `polling`, `retry`, `metrics`,
 * `efo`), with the rules across their fields: a client timeout longer than the sync interval, a
 * largest backoff delay no smaller than the first.
 */
import * as t from 'io-ts';
import { ASSIGNMENT_STRATEGIES } from '../group/assign-stream.js';
import { closed, friendly, isRecord, withRule } from './combinators.js';
import { DEFAULTS } from './defaults.js';
import { ConsumerName, FunctionCodec, IdleInterval, MaxInFlight, PositiveMs, ScanLimit } from './field-codecs.js';
import type { EfoOptions } from './kinesumer-config.js';
import { expecting, pathOf } from './reporter.js';

/** `value` for a message, marked when it is the default (the user did not set it). */
const valueOf = (value: number, given: unknown, mark: (v: number) => string): string =>
  given === undefined ? mark(value) : `${value}`;
const standalone = (v: number): string => `${v} (the default)`;
const parenthesized = (v: number): string => `${v}, the default`;

/** One millisecond field of a section, as decoded: its key, its value in effect, and what was given. */
interface MsField {
  key: string;
  value: number;
  given: number | undefined;
}

/**
 * The problem of a section whose `field` must be `relation` its `other` field: names both fields
 * and values, saying which is the default, and adds `advice`.
 */
function crossFieldProblem(c: t.Context, field: MsField, relation: string, other: MsField, advice = ''): t.ValidationError {
  const at = t.appendContext(c, field.key, PositiveMs, field.given);
  return {
    value: field.value,
    context: at,
    message:
      `Invalid value ${valueOf(field.value, field.given, standalone)} for ${pathOf(at)} - Expected ${relation} ` +
      `${pathOf(c)}.${other.key} (${valueOf(other.value, other.given, parenthesized)})${advice}`,
  };
}

/** `group.assignment`: one of the strategies. */
export const AssignmentCodec = friendly(
  t.keyof({ sticky: null, balanced: null, kinesumer: null }),
  t.string,
  ASSIGNMENT_STRATEGIES.map((s) => `'${s}'`).join(' | '),
);

/**
 * `group`: sync interval, client timeout, assignment strategy and static membership; the timeout
 * must be longer than the interval.
 */
export const Group = withRule(
  closed('group', {}, { syncInterval: PositiveMs, clientTimeout: PositiveMs, assignment: AssignmentCodec, staticMembership: t.boolean }),
  (group, c) => {
    const sync = group.syncInterval ?? DEFAULTS.group.syncInterval;
    const timeout = group.clientTimeout ?? DEFAULTS.group.clientTimeout;
    if (timeout > sync) return [];
    return [
      crossFieldProblem(
        c,
        { key: 'clientTimeout', value: timeout, given: group.clientTimeout },
        'more than',
        { key: 'syncInterval', value: sync, given: group.syncInterval },
        `; at least 2x syncInterval (${2 * sync}) is recommended, so that one late heartbeat does not make a client look dead`,
      ),
    ];
  },
);

/** `commit`: auto-commit, its period, the time allowed for one commit, and the item interval. */
export const Commit = closed('commit', {}, { auto: t.boolean, interval: PositiveMs, timeout: PositiveMs, itemInterval: PositiveMs });

/** `polling`: page size, call timeout, idle wait and the in-flight bound. */
export const Polling = closed(
  'polling',
  {},
  { scanLimit: ScanLimit, scanTimeout: PositiveMs, idleInterval: IdleInterval, maxInFlight: MaxInFlight },
);

/** `retry`: first and largest backoff delay; the largest may not be smaller than the first. */
export const Retry = withRule(closed('retry', {}, { initialDelay: PositiveMs, maxDelay: PositiveMs, random: FunctionCodec }), (retry, c) => {
  const initial = retry.initialDelay ?? DEFAULTS.retry.initialDelay;
  const max = retry.maxDelay ?? DEFAULTS.retry.maxDelay;
  if (max >= initial) return [];
  return [
    crossFieldProblem(c, { key: 'maxDelay', value: max, given: retry.maxDelay }, 'at least', {
      key: 'initialDelay',
      value: initial,
      given: retry.initialDelay,
    }),
  ];
});

const EfoOptionsCodec = closed('EfoOptions', {}, { consumerName: ConsumerName, deregisterOnClose: t.boolean });

const EFO = 'boolean | { consumerName?: string, deregisterOnClose?: boolean }';

/** `true`, `false` or the enhanced fan-out options. */
export const Efo = new t.Type<boolean | EfoOptions, unknown, unknown>(
  EFO,
  (u): u is boolean | EfoOptions => typeof u === 'boolean' || EfoOptionsCodec.is(u),
  (u, c) => {
    if (typeof u === 'boolean') return t.success(u);
    if (isRecord(u)) return EfoOptionsCodec.validate(u, c);
    return t.failure(u, c, expecting(EFO, u, c));
  },
  t.identity,
);

/** `metrics`: the period of `metrics$` snapshots, and after how long a shard that delivers nothing while behind counts as stalled. */
export const Metrics = closed('metrics', {}, { interval: PositiveMs, stallTimeout: PositiveMs });
