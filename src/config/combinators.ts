/**
 * Codec builders of the configuration: refinements with friendly messages, closed options
 * objects that name unknown keys, and rules across fields.
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { expecting, invalid, pathOf } from './reporter.js';

/** Whether `u` is a plain record of keys to values (an object, not `null`). */
export const isRecord = (u: unknown): u is Record<string, unknown> => t.UnknownRecord.is(u);

/**
 * `codec` with friendly messages: a value of the wrong type (not `base`) is reported as
 * `Expecting <base> at ...`, one of the right type that breaks the refinement as
 * `Invalid value ... - Expected <expected>`.
 */
export function friendly<A>(codec: t.Type<A, unknown, unknown>, base: t.Mixed, expected: string): t.Type<A, unknown, unknown> {
  return new t.Type<A, unknown, unknown>(
    codec.name,
    codec.is,
    (u, c) => {
      const result = codec.validate(u, c);
      if (!isLeft(result)) return result;
      return t.failure(u, c, base.is(u) ? invalid(u, c, expected) : expecting(base.name, u, c));
    },
    codec.encode,
  );
}

/** Levenshtein distance, for "did you mean" on unknown keys. */
export function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(next[j - 1]! + 1, row[j]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * An options object: `required` and `optional` properties (`t.intersection([t.type, t.partial])`)
 * and nothing else. Unknown keys are reported, so that a typo such as `gruop` is not silently
 * ignored along with the settings under it. Values of unknown keys are never shown.
 */
export function closed<R extends t.Props, O extends t.Props>(name: string, required: R, optional: O) {
  const shape = t.intersection([t.type(required), t.partial(optional)], name);
  type A = t.TypeOf<typeof shape>;
  const known = [...Object.keys(required), ...Object.keys(optional)];
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => shape.is(u) && Object.keys(u).every((key) => known.includes(key)),
    (u, c) => {
      if (!isRecord(u)) return t.failure(u, c, expecting('object', u, c));
      const errors: t.Errors = [];
      for (const key of Object.keys(u)) {
        if (known.includes(key)) continue;
        const at = t.appendContext(c, key, t.never, u[key]);
        const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || distance(k, key) <= 2);
        const hint = near === undefined ? '' : ` - did you mean ${pathOf(c)}.${near}?`;
        errors.push({
          value: u[key],
          context: at,
          message: `Unknown key ${pathOf(at)}${hint} (accepted keys: ${known.join(', ')})`,
        });
      }
      const result = shape.validate(u, c);
      if (isLeft(result)) return t.failures([...errors, ...result.left]);
      return errors.length > 0 ? t.failures(errors) : result;
    },
    t.identity,
  );
}

/** `codec` followed by a rule across its decoded fields (checked only once the fields are valid). */
export function withRule<A>(codec: t.Type<A, unknown, unknown>, rule: (a: A, c: t.Context) => t.Errors): t.Type<A, unknown, unknown> {
  return new t.Type<A, unknown, unknown>(
    codec.name,
    (u): u is A => codec.is(u) && rule(u, []).length === 0,
    (u, c) => {
      const result = codec.validate(u, c);
      if (isLeft(result)) return result;
      const errors = rule(result.right, c);
      return errors.length > 0 ? t.failures(errors) : result;
    },
    codec.encode,
  );
}
