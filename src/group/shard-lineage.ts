import { KinesumerError } from '../errors.js';
import { compareSequenceNumbers } from '../position.js';
import type { CachedShard, ShardState } from '../state-store/state-store.js';

/** A stream's shards and their states, as one sync round saw them. */
export interface StreamSnapshot {
  /** The shard list, sorted by id, open and closed. */
  shards: CachedShard[];
  /** The state of each shard that has one. States left by an older stream of the same name are dropped. */
  states: Map<string, ShardState>;
}

/**
 * Whether `state` was written for an older shard with the same id than the one starting at
 * `start`: a stream deleted and created again under the same name restarts its shard ids, but
 * its shards start at new sequence numbers. Unknowable (false) without `start`.
 */
export function isStale(state: Pick<ShardState, 'sequenceNumber' | 'shardStart'>, start: string | undefined): boolean {
  if (start === undefined) return false;
  if (state.shardStart !== undefined) return state.shardStart !== start;
  return state.sequenceNumber !== undefined && compareSequenceNumbers(state.sequenceNumber, start) < 0;
}

/**
 * `state` as the shard starting at `start` may use it: unchanged, or, when it was written for an
 * older shard of that id ({@link isStale}), without its checkpoint, finished mark and pending seek
 * (its owner, its `seek` and the rest stay). What a store's take of the shard starts from.
 */
export function ownProgress(state: ShardState, start: string | undefined): ShardState {
  if (!isStale(state, start)) return state;
  const { sequenceNumber: _seq, subSequenceNumber: _sub, precedingSequenceNumber: _preceding, finished: _finished, seekTo: _to, seekAfter: _after, ...rest } = state;
  return { ...rest, finished: false };
}

/**
 * The report for a stored checkpoint that is not used because {@link isStale} says it was written
 * for an older shard of that id: records are not read from it, so this must not go unnoticed.
 */
export function staleCheckpointError(stream: string, state: ShardState, shard: CachedShard | undefined): KinesumerError {
  return new KinesumerError(
    'CHECKPOINT_STALE',
    `Checkpoint ${state.sequenceNumber} of shard ${state.shardId} of stream "${stream}" was written for an older shard ` +
      `with that id (this one starts at sequence number ${shard?.startingSequenceNumber}; was the stream deleted and ` +
      'created again?): it is ignored, and the shard is read as one without a checkpoint',
  );
}

/** Splits the stored states of a stream into current ones (by shard id) and stale ones. */
export function snapshotOf(shards: CachedShard[], stored: readonly ShardState[]): StreamSnapshot & { stale: string[] } {
  const byId = new Map(shards.map((s) => [s.id, s]));
  const states = new Map<string, ShardState>();
  const stale: string[] = [];
  for (const state of stored) {
    if (isStale(state, byId.get(state.shardId)?.startingSequenceNumber)) stale.push(state.shardId);
    else states.set(state.shardId, state);
  }
  return { shards, states, stale };
}

/** The ids of a shard's parents (one after a split, two after a merge, none for an original shard). */
export function parentsOf(shard: CachedShard): string[] {
  const out: string[] = [];
  if (shard.parentShardId) out.push(shard.parentShardId);
  if (shard.adjacentParentShardId) out.push(shard.adjacentParentShardId);
  return out;
}

/** Per shard list: its shards by id and each shard's children, built once (a list of 10,000 shards is asked about 10,000 times a round). */
const indexes = new WeakMap<readonly CachedShard[], { byId: Map<string, CachedShard>; children: Map<string, CachedShard[]> }>();

function indexOf(shards: readonly CachedShard[]): { byId: Map<string, CachedShard>; children: Map<string, CachedShard[]> } {
  let index = indexes.get(shards);
  if (index === undefined) {
    index = { byId: new Map(), children: new Map() };
    for (const shard of shards) {
      index.byId.set(shard.id, shard);
      for (const parent of parentsOf(shard)) {
        const list = index.children.get(parent);
        if (list === undefined) index.children.set(parent, [shard]);
        else if (!list.includes(shard)) list.push(shard);
      }
    }
    indexes.set(shards, index);
  }
  return index;
}

function childrenOf(shards: readonly CachedShard[], id: string): CachedShard[] {
  return indexOf(shards).children.get(id) ?? [];
}

function shardOf(shards: readonly CachedShard[], id: string): CachedShard | undefined {
  return indexOf(shards).byId.get(id);
}

/**
 * Whether `state` holds a seek nobody committed after yet (`seekTo`): such a state was written by
 * a seek, not by a client that took the shard to read it, so it says nothing about whether the
 * shard's parents were read to their end.
 */
export function isPending(state: ShardState | undefined): boolean {
  return state !== undefined && state.seekTo !== undefined && !state.finished;
}

/** Whether the shard has state that shows it was taken to be read (not just sought). */
function wasRead(snapshot: StreamSnapshot, id: string): boolean {
  const state = snapshot.states.get(id);
  return state !== undefined && !isPending(state);
}

function hasStatefulDescendant(snapshot: StreamSnapshot, id: string, seen = new Set<string>()): boolean {
  for (const child of childrenOf(snapshot.shards, id)) {
    if (seen.has(child.id)) continue;
    seen.add(child.id);
    if (wasRead(snapshot, child.id) || hasStatefulDescendant(snapshot, child.id, seen)) return true;
  }
  return false;
}

/**
 * Whether the group has read this shard's lineage: the shard itself or a parent has state (state
 * is only ever created by a client taking a shard to read it). A shard without a checkpoint then
 * starts at TRIM_HORIZON, whatever the initial position: a child from a split or merge that
 * happened while the group consumed, or a shard whose earlier owner committed nothing. Otherwise
 * the configured initial position applies (the shard existed when the group first started).
 */
export function inheritsReading(snapshot: StreamSnapshot, id: string): boolean {
  if (snapshot.states.has(id)) return true;
  const shard = shardOf(snapshot.shards, id);
  return shard !== undefined && parentsOf(shard).some((p) => snapshot.states.has(p));
}

/**
 * Whether every record of `id` has been processed: its state says so, or a descendant has state
 * that is not a pending seek (children are only taken after their parents finished; a finished
 * parent's state is deleted once all its children have such state, and theirs in turn once their
 * children have). With `initialLatest`, a closed shard whose lineage the group never read is done
 * too: reading it from LATEST would find nothing.
 */
export function isDone(snapshot: StreamSnapshot, id: string, initialLatest: boolean): boolean {
  if (snapshot.states.get(id)?.finished) return true;
  if (hasStatefulDescendant(snapshot, id)) return true;
  const shard = shardOf(snapshot.shards, id);
  return initialLatest && shard !== undefined && shard.closed && !inheritsReading(snapshot, id);
}

/**
 * The shards that may be read now, sorted by id: not done, and every parent done (or gone from the
 * shard list, expired after the retention period). Reading a child only after its parents keeps
 * the records of one partition key in order across splits and merges. A shard sought together with
 * its parents waits until this snapshot shows each of those parents' seeks too: a listing read
 * while a seek was being written must not start a child before its parents are read again.
 */
export function readableShards(snapshot: StreamSnapshot, initialLatest: boolean): string[] {
  const listed = new Set(snapshot.shards.map((s) => s.id));
  const soughtAfter = (id: string) =>
    Object.entries(snapshot.states.get(id)?.seekAfter ?? {}).every(([p, seek]) => !listed.has(p) || (snapshot.states.get(p)?.seek ?? 0) >= seek);
  return snapshot.shards
    .filter((shard) => !isDone(snapshot, shard.id, initialLatest))
    .filter((shard) => parentsOf(shard).every((p) => !listed.has(p) || isDone(snapshot, p, initialLatest)))
    .filter((shard) => !isPending(snapshot.states.get(shard.id)) || soughtAfter(shard.id))
    .map((shard) => shard.id);
}

/**
 * States the leader may delete: finished shards all of whose children have state that shows they
 * were read (they no longer need the parent's state to know it is done; a pending seek does not
 * show that), and states left by an older stream of this name.
 */
export function removableStates(snapshot: StreamSnapshot & { stale: string[] }): string[] {
  const removable = [...snapshot.stale];
  for (const [id, state] of snapshot.states) {
    if (!state.finished) continue;
    const children = childrenOf(snapshot.shards, id);
    if (children.length > 0 && children.every((c) => wasRead(snapshot, c.id))) removable.push(id);
  }
  return removable;
}
