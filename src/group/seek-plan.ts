/**
 * What a seek writes, decided from a stream's shard list and shard states: which shards are sent
 * where, in which order, and which of their ancestors are recorded finished so that they are not
 * read again. Pure; `seek-group.ts` reads the inputs and makes the writes.
 */
import type { SeekTarget } from '../position.js';
import type { CachedShard, ShardState } from '../state-store/state-store.js';
import { isDone, parentsOf, type StreamSnapshot } from './shard-lineage.js';

/** One write of a seek. */
export interface SeekStep {
  shardId: string;
  /**
   * - `seek`: the shard is read again from `target` (its owner restarts);
   * - `finish`: recorded finished (a closed shard sought to LATEST: there is nothing after its tip);
   * - `keepFinished`: an ancestor of the sought shards, not sought itself, recorded finished so that
   *   the seek does not make it readable again.
   */
  action: 'seek' | 'finish' | 'keepFinished';
  /** With `seek`: where the shard is read from. */
  target?: SeekTarget;
  /** The parents sought in the same seek: the shard waits for them (parent before child). */
  after: string[];
  /** The shard's state before the seek, if it had one. */
  before: ShardState | undefined;
  /** The shard's starting sequence number (recorded on its state, so the seek is this shard's). */
  shardStart: string | undefined;
}

/** Everything a seek writes, in the order it writes it (ancestors before descendants). */
export interface SeekPlan {
  stream: string;
  /** The target asked for. */
  to: SeekTarget;
  steps: SeekStep[];
}

/**
 * The seek of `stream` to `to`: of every listed shard, or of `shardIds` and their descendants
 * (descendants were read after them; reading them again keeps the order per key). A timestamp
 * applies to every sought shard (each is read from its first record at or after it); TRIM_HORIZON
 * likewise; a sequence number to its shard, whose descendants are read from their start; LATEST to
 * open shards, while closed ones are recorded finished. Ancestors of the sought shards that were
 * read to their end stay so. The steps are ordered parents first, so that at every moment of the
 * writing a child is never readable before its parents.
 *
 * @param stream The stream.
 * @param shards Its shard list (from ListShards).
 * @param states Its shard states.
 * @param to Where to go.
 * @param shardIds Only these shards (and their descendants); all when absent. Checked by the caller.
 */
export function planSeek(stream: string, shards: readonly CachedShard[], states: readonly ShardState[], to: SeekTarget, shardIds?: readonly string[]): SeekPlan {
  const byId = new Map(shards.map((s) => [s.id, s]));
  const stateOf = new Map(states.map((s) => [s.shardId, s]));
  const snapshot: StreamSnapshot = { shards: [...shards], states: stateOf };
  const sought = shardIds === undefined ? new Set(byId.keys()) : withDescendants(shards, shardIds);
  const steps: SeekStep[] = [];

  // Ancestors outside the seek that were read to their end: their sought descendants' states will
  // be pending and prove nothing, so their own state must say they are done.
  const keep = new Set<string>();
  const visit = (id: string) => {
    for (const parent of parentsOf(byId.get(id)!)) {
      if (!byId.has(parent) || sought.has(parent) || keep.has(parent)) continue;
      if (isDone(snapshot, parent, false) && stateOf.get(parent)?.finished !== true) keep.add(parent);
      visit(parent);
    }
  };
  for (const id of sought) visit(id);
  const start = (id: string) => byId.get(id)?.startingSequenceNumber;
  for (const id of parentsFirst(shards, keep)) steps.push({ shardId: id, action: 'keepFinished', after: [], before: stateOf.get(id), shardStart: start(id) });

  for (const id of parentsFirst(shards, sought)) {
    const shard = byId.get(id)!;
    const after = parentsOf(shard).filter((p) => sought.has(p));
    const before = stateOf.get(id);
    if (to.type === 'LATEST' && shard.closed) steps.push({ shardId: id, action: 'finish', after, before, shardStart: start(id) });
    else steps.push({ shardId: id, action: 'seek', target: targetOf(to, id, shardIds), after, before, shardStart: start(id) });
  }
  return { stream, to, steps };
}

/** Where one sought shard is read from: a sequence number is of the shard it was given for; its descendants start at their beginning. */
function targetOf(to: SeekTarget, id: string, shardIds: readonly string[] | undefined): SeekTarget {
  if (to.type !== 'AT_SEQUENCE_NUMBER') return to;
  return shardIds?.includes(id) ? to : { type: 'TRIM_HORIZON' };
}

/** `ids` and every shard descended from them. */
function withDescendants(shards: readonly CachedShard[], ids: readonly string[]): Set<string> {
  const out = new Set(ids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const shard of shards) {
      if (!out.has(shard.id) && parentsOf(shard).some((p) => out.has(p))) {
        out.add(shard.id);
        grew = true;
      }
    }
  }
  return out;
}

/** The shards of `ids` in an order where every parent comes before its children; by id otherwise. */
function parentsFirst(shards: readonly CachedShard[], ids: ReadonlySet<string>): string[] {
  const byId = new Map(shards.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen = new Set<string>()): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot come from Kinesis; do not loop on one
    seen.add(id);
    const parents = parentsOf(byId.get(id) ?? { id, closed: false }).filter((p) => byId.has(p));
    const d = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => depthOf(p, seen)));
    depth.set(id, d);
    return d;
  };
  return [...ids].sort((a, b) => depthOf(a) - depthOf(b) || (a < b ? -1 : a > b ? 1 : 0));
}
