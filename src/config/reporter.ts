/**
 * The io-ts reporter of the configuration: dotted paths from the root codec
 * (`Config.group.syncInterval`) and friendly messages in the wording of io-ts-reporters and
 * Hardhat, built where the failure is found. Nothing under `credentials`, and no object, is ever
 * shown by value.
 */
import * as t from 'io-ts';
import type { ConfigProblem } from '../errors.js';

/**
 * `Config.group.syncInterval` from an io-ts context. The first entry is the root codec; numeric
 * keys are the member indexes `t.intersection` and `t.union` add (the config has no arrays), so
 * they are left out.
 */
export function pathOf(c: t.Context): string {
  return c
    .map((entry, i) => (i === 0 ? entry.type.name : entry.key))
    .filter((key, i) => i === 0 || !/^\d+$/.test(key))
    .join('.');
}

/** Values under `credentials` are secrets: messages describe them by type only. */
const isSecret = (c: t.Context): boolean => c.some((entry) => entry.key === 'credentials');

/** What kind of value `u` is, without showing it. */
export function kindOf(u: unknown): string {
  if (u === null) return 'null';
  if (u === undefined) return 'undefined';
  if (Array.isArray(u)) return 'an array';
  if (u instanceof Date) return 'a Date';
  if (typeof u === 'object') {
    const ctor = (Object.getPrototypeOf(u) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return ctor && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
  }
  return /^[aeiou]/.test(typeof u) ? `an ${typeof u}` : `a ${typeof u}`;
}

/**
 * `u` as a message shows it: primitives by value, objects by kind only (an object may hold
 * credentials), and anything under `credentials` by type only.
 */
export function show(u: unknown, c: t.Context): string {
  if (isSecret(c)) return u === undefined || u === null ? String(u) : `${kindOf(u)} (hidden)`;
  if (typeof u === 'string') return JSON.stringify(u.length > 60 ? `${u.slice(0, 57)}...` : u);
  if (typeof u === 'number' || typeof u === 'boolean' || typeof u === 'bigint' || u === undefined) return String(u);
  if (u instanceof Date) return Number.isNaN(u.getTime()) ? 'Invalid Date' : u.toISOString();
  return kindOf(u);
}

/** The value has the wrong type: `Expecting string at Config.app but instead got: undefined`. */
export const expecting = (expected: string, u: unknown, c: t.Context): string =>
  `Expecting ${expected} at ${pathOf(c)} but instead got: ${show(u, c)}`;

/** The value has the right type but breaks a rule: `Invalid value 0 for Config.x - Expected ...`. */
export const invalid = (u: unknown, c: t.Context, expected: string): string =>
  `Invalid value ${show(u, c)} for ${pathOf(c)} - Expected ${expected}`;

/** Turns io-ts errors into problems; errors without a message get the io-ts-reporters wording. */
export function toProblems(errors: t.Errors): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const error of errors) {
    const last = error.context[error.context.length - 1];
    const message = error.message ?? expecting(last?.type.name ?? 'a valid value', error.value, error.context);
    if (seen.has(message)) continue;
    seen.add(message);
    problems.push({ path: pathOf(error.context), message });
  }
  return problems;
}
