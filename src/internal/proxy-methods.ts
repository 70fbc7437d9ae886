/** A method of a seam, as {@link proxyMethods} hands it to its wrapper. */
export type Method = (...args: unknown[]) => unknown;

/**
 * `target` seen through a Proxy whose methods are `wrap(name, method)`: each wrapper is built on
 * first use and kept (built again only if the method itself changes), so a call costs one trap and
 * no new function. Other properties read through unchanged. A Proxy rather than a copy: a seam is
 * often a class with optional methods (enhanced fan-out's), and `'subscribeToShard' in api` or a
 * method added later sees the target as it is.
 *
 * @param target The seam (a Kinesis API, a state store).
 * @param wrap Builds the method to call instead of `method` (which is unbound: apply it to `target`).
 */
export function proxyMethods<T extends object>(target: T, wrap: (name: string | symbol, method: Method) => Method): T {
  const wrappers = new Map<string | symbol, { method: Method; wrapper: Method }>();
  return new Proxy(target, {
    get(t, name, receiver) {
      const value: unknown = Reflect.get(t, name, receiver);
      if (typeof value !== 'function') return value;
      const kept = wrappers.get(name);
      if (kept !== undefined && kept.method === value) return kept.wrapper;
      const wrapper = wrap(name, value as Method);
      wrappers.set(name, { method: value as Method, wrapper });
      return wrapper;
    },
  });
}
