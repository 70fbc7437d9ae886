/**
 * The `'balanced'` assignment of one stream's readable shards: sticky, but weighted by each
 * shard's throughput as its owner publishes it in its heartbeat. Pure, like `stickyAssignment`.
 */
import { heldShards, tieBreakRanks, type StreamAssignment, type StreamAssignmentInput } from './sticky-assignment.js';

/** What the group knows of one shard's load, from its owner's last heartbeat. */
export interface ShardLoad {
  /** The shard's smoothed throughput in shard capacities: `max(records/s / 1000, bytes/s / 1 MiB)`. */
  weight: number;
  /** How long its owner has held it, ms. */
  heldMs?: number;
}

/** The knobs of {@link balancedAssignment}. */
export interface BalanceOptions {
  /** A client counts as overloaded above `mean * (1 + threshold)`: only then do its shards move. Default 0.1. */
  threshold?: number;
  /** A shard held for less than this moves only when no other shard of its owner would do, ms. Default 600000. */
  cooldown?: number;
}

/** The defaults of {@link BalanceOptions}: KCL 3.x's 10 % threshold, and 10 minutes. */
export const BALANCE_DEFAULTS = { threshold: 0.1, cooldown: 600_000 } as const;

/** `value` rounded to two significant digits: clients that read heartbeats a moment apart agree. */
export function quantize(value: number): number {
  return value > 0 && Number.isFinite(value) ? Number(value.toPrecision(2)) : 0;
}

/**
 * Every readable shard's weight: its quantized published load, the median of the known ones for a
 * shard without any (just taken, or its owner is gone), plus a floor of 1 % of the mean so that idle
 * shards still spread by count; all ones when nothing is known.
 */
export function shardWeights(shards: readonly string[], loads: ReadonlyMap<string, ShardLoad>): Map<string, number> {
  const known = shards.map((s) => loads.get(s)?.weight).filter((w): w is number => w !== undefined && w > 0).map(quantize).sort((a, b) => a - b);
  if (known.length === 0) return new Map(shards.map((s) => [s, 1]));
  const median = known[Math.floor(known.length / 2)]!;
  const weights = shards.map((s): [string, number] => {
    const w = loads.get(s)?.weight;
    return [s, w === undefined ? median : quantize(w)];
  });
  const floor = (weights.reduce((sum, [, w]) => sum + w, 0) / weights.length) * 0.01;
  return new Map(weights.map(([s, w]) => [s, w + floor]));
}

/**
 * The `'balanced'` assignment. Alive owners keep their shards; orphaned shards go, heaviest first,
 * to the least loaded client. Then, while the most loaded client carries more than
 * `mean * (1 + threshold)`, one of its shards moves to the least loaded client, the one that
 * lowers the pair's larger load the most (shards held for less than `cooldown` only when no other
 * one would do). No shard moves that way while an owned shard has no published load (its owner
 * took it since its last heartbeat), unless no load is known at all (then all weigh the same). Every move makes the pair strictly more even, so the
 * moves end; the result is a fixed point (computed again from itself, it moves nothing), which is
 * what keeps a steady load from oscillating. Ties are broken as in `stickyAssignment`.
 *
 * ## Example
 * ```ts
 * import { balancedAssignment } from './balanced-assignment.js';
 * balancedAssignment({ stream: 's', shards: ['0', '1', '2'], clients: ['a', 'b'], owners: new Map() },
 *   new Map([['0', { weight: 0.9 }], ['1', { weight: 0.1 }], ['2', { weight: 0.1 }]]));
 * // one client gets shard 0, the other 1 and 2
 * ```
 *
 * @param input The stream's readable shards, the alive clients and the current owners.
 * @param loads What the owners published of each shard's load.
 * @param options Threshold and cooldown ({@link BALANCE_DEFAULTS}).
 * @returns Every alive client's shards, sorted.
 */
export function balancedAssignment(input: StreamAssignmentInput, loads: ReadonlyMap<string, ShardLoad>, options: BalanceOptions = {}): StreamAssignment {
  const threshold = options.threshold ?? BALANCE_DEFAULTS.threshold;
  const cooldown = options.cooldown ?? BALANCE_DEFAULTS.cooldown;
  const { sorted: clients, rank } = tieBreakRanks(input.stream, input.clients);
  const shards = [...new Set(input.shards)].sort(compare);
  const out: StreamAssignment = Object.fromEntries(clients.map((id) => [id, [] as string[]]));
  if (clients.length === 0) return out;
  const weight = shardWeights(shards, loads);
  const load = new Map(clients.map((id) => [id, 0]));
  const give = (id: string, shard: string) => {
    out[id]!.push(shard);
    load.set(id, load.get(id)! + weight.get(shard)!);
  };
  const held = heldShards(shards, clients, input.owners);
  const kept = new Set<string>();
  for (const id of clients) for (const shard of held.get(id)!) (give(id, shard), kept.add(shard));

  const lighter = (a: string, b: string) =>
    load.get(a)! - load.get(b)! || out[a]!.length - out[b]!.length || rank.get(a)! - rank.get(b)!;
  const orphans = shards.filter((s) => !kept.has(s)).sort((a, b) => weight.get(b)! - weight.get(a)! || compare(a, b));
  for (const shard of orphans) give([...clients].sort(lighter)[0]!, shard);

  // A shard its owner took since its last heartbeat has no published load yet: its weight is a
  // guess, and clients that read heartbeats a moment apart would disagree on moves made from it.
  // Such rounds only place orphans (without any load known, all weigh the same and moves even counts).
  const guessing = loads.size > 0 && [...kept].some((shard) => loads.get(shard) === undefined);
  if (guessing) return sortedOut(out, clients);
  const mean = [...load.values()].reduce((a, b) => a + b, 0) / clients.length;
  const recent = (shard: string) => input.owners.has(shard) && (loads.get(shard)?.heldMs ?? Infinity) < cooldown;
  const settled = new Set<string>();
  for (let moves = 0; moves < shards.length * clients.length; moves++) {
    const byLoad = [...clients].sort(lighter);
    const lo = byLoad[0]!;
    const hi = byLoad.reverse().find((id) => !settled.has(id) && id !== lo);
    if (hi === undefined || load.get(hi)! <= mean * (1 + threshold)) break;
    const gainOf = (shard: string) => load.get(hi)! - Math.max(load.get(hi)! - weight.get(shard)!, load.get(lo)! + weight.get(shard)!);
    const candidates = out[hi]!.filter((s) => gainOf(s) > 1e-9 * mean);
    const pool = candidates.some((s) => !recent(s)) ? candidates.filter((s) => !recent(s)) : candidates;
    const shard = pool.sort((a, b) => gainOf(b) - gainOf(a) || weight.get(a)! - weight.get(b)! || compare(a, b))[0];
    if (shard === undefined) {
      settled.add(hi);
      continue;
    }
    out[hi] = out[hi]!.filter((s) => s !== shard);
    load.set(hi, load.get(hi)! - weight.get(shard)!);
    give(lo, shard);
  }
  return sortedOut(out, clients);
}

function sortedOut(out: StreamAssignment, clients: readonly string[]): StreamAssignment {
  for (const id of clients) out[id]!.sort(compare);
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
