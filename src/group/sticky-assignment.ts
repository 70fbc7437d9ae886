/**
 * The `'sticky'` assignment of one stream's readable shards: shards stay with their alive owners
 * up to each client's fair share, and only orphaned and excess shards move. A pure function of the
 * group's snapshot, so every client computes the same answer without talking to the others.
 */

import { MinHeap } from '../internal/min-heap.js';

/** What every client knows of one stream in a sync round. */
export interface StreamAssignmentInput {
  /** The stream's name: it rotates the tie-break, so that one-shard streams spread over clients. */
  stream: string;
  /** The shards that may be read now (`readableShards`), in any order. */
  shards: readonly string[];
  /** The alive clients, in any order. */
  clients: readonly string[];
  /** Each shard's current owner from its shard state; owners that are not alive do not count. */
  owners: ReadonlyMap<string, string>;
}

/** Every client's shards of one stream, sorted, keyed by client id (every alive client has an entry). */
export type StreamAssignment = Record<string, string[]>;

/** 32-bit FNV-1a of `text`: a stable hash that is the same in every process. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The clients sorted, each with its tie-break rank: the sorted list rotated by a hash of the
 * stream, so that ties of different streams are won by different clients (ten one-shard streams
 * over ten clients do not all land on the first one).
 */
export function tieBreakRanks(stream: string, clients: readonly string[]): { sorted: string[]; rank: Map<string, number> } {
  const sorted = [...new Set(clients)].sort(compare);
  const offset = sorted.length === 0 ? 0 : fnv1a(stream) % sorted.length;
  const rank = new Map(sorted.map((id, i) => [id, (i - offset + sorted.length) % sorted.length]));
  return { sorted, rank };
}

/** The shards of `input` each alive client holds now, in sorted shard order. */
export function heldShards(shards: readonly string[], clients: readonly string[], owners: ReadonlyMap<string, string>): Map<string, string[]> {
  const held = new Map(clients.map((id) => [id, [] as string[]]));
  for (const shard of shards) {
    const owner = owners.get(shard);
    if (owner !== undefined) held.get(owner)?.push(shard);
  }
  return held;
}

/**
 * The `'sticky'` assignment: with `n` shards and `c` clients, every client gets `floor(n/c)` or
 * `ceil(n/c)` shards (`n mod c` of them the larger share, given to the clients that hold the most
 * now). Each client keeps the shards it holds up to its share (the lowest ids first); orphaned
 * shards (no owner, or one that is not alive) and excess ones go, lowest id first, to the client
 * with the fewest shards below its share, ties broken by {@link tieBreakRanks}. A join moves only
 * what the newcomer needs, a leave only the leaver's shards, and an assignment that is already
 * balanced is kept as it is. The result does not depend on the order of the inputs.
 *
 * ## Example
 * ```ts
 * import { stickyAssignment } from './sticky-assignment.js';
 * stickyAssignment({ stream: 's', shards: ['0', '1', '2'], clients: ['a', 'b'], owners: new Map([['0', 'a'], ['1', 'a'], ['2', 'a']]) });
 * // { a: ['0', '1'], b: ['2'] }
 * ```
 *
 * @param input The stream's readable shards, the alive clients and the current owners.
 * @returns Every alive client's shards, sorted.
 */
export function stickyAssignment(input: StreamAssignmentInput): StreamAssignment {
  const { sorted: clients, rank } = tieBreakRanks(input.stream, input.clients);
  const shards = [...new Set(input.shards)].sort(compare);
  const out: StreamAssignment = Object.fromEntries(clients.map((id) => [id, [] as string[]]));
  if (clients.length === 0) return out;
  const base = Math.floor(shards.length / clients.length);
  const extra = shards.length % clients.length;
  const held = heldShards(shards, clients, input.owners);
  // The larger shares go to the clients that hold the most: the fewest shards move.
  const byHeld = [...clients].sort((a, b) => held.get(b)!.length - held.get(a)!.length || rank.get(a)! - rank.get(b)!);
  const cap = new Map(byHeld.map((id, i) => [id, base + (i < extra ? 1 : 0)]));
  const kept = new Set<string>();
  for (const id of clients) {
    for (const shard of held.get(id)!.slice(0, cap.get(id)!)) {
      out[id]!.push(shard);
      kept.add(shard);
    }
  }
  // Each orphan goes to the client with the fewest shards below its share, ties by rank: a heap
  // keeps that a log(clients) step (a scan of every client per orphan is quadratic at a cold
  // start of thousands of shards).
  const open = new MinHeap<string>((a, b) => out[a]!.length - out[b]!.length || rank.get(a)! - rank.get(b)!);
  for (const id of clients) if (out[id]!.length < cap.get(id)!) open.push(id);
  for (const shard of shards) {
    if (kept.has(shard)) continue;
    const best = open.pop()!;
    out[best]!.push(shard);
    if (out[best]!.length < cap.get(best)!) open.push(best);
  }
  for (const id of clients) out[id]!.sort(compare);
  return out;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
