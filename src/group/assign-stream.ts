/**
 * The three assignment strategies behind one call: which of a stream's readable shards this
 * client takes in a round, computed by every client from the same snapshot of the group.
 */
import { assignShards } from './assignment.js';
import { balancedAssignment, type ShardLoad } from './balanced-assignment.js';
import type { StreamSnapshot } from './shard-lineage.js';
import { stickyAssignment } from './sticky-assignment.js';

/**
 * How the shards of a stream are split among the alive clients (`group.assignment`):
 * - `'kinesumer'`: kinesumer's slices of the sorted shard list by client index;
 * - `'sticky'`: shards stay with their owners up to a fair share; only orphaned and excess ones move;
 * - `'balanced'`: sticky, weighted by the throughput each owner publishes in its heartbeat.
 */
export type AssignmentStrategy = 'kinesumer' | 'sticky' | 'balanced';

/** Every strategy, the default first. */
export const ASSIGNMENT_STRATEGIES: readonly AssignmentStrategy[] = ['sticky', 'balanced', 'kinesumer'];

/** The published loads of a round: stream → shard id → load. */
export type GroupLoads = ReadonlyMap<string, ReadonlyMap<string, ShardLoad>>;

/** Each shard's current owner by its state (finished shards aside). */
export function ownersOf(snapshot: StreamSnapshot): Map<string, string> {
  const owners = new Map<string, string>();
  for (const [id, state] of snapshot.states) if (state.owner !== undefined && !state.finished) owners.set(id, state.owner);
  return owners;
}

/**
 * This client's shards of one stream under `strategy`.
 *
 * @param strategy The group's assignment strategy.
 * @param stream The stream.
 * @param readable Its readable shards, sorted (see `readableShards`).
 * @param snapshot What the round read of it (the owners).
 * @param clients The alive clients, sorted.
 * @param index This client's index among them; -1: it takes nothing.
 * @param loads The loads published in the round's heartbeats (`'balanced'` only).
 */
export function assignStream(
  strategy: AssignmentStrategy,
  stream: string,
  readable: readonly string[],
  snapshot: StreamSnapshot,
  clients: readonly string[],
  index: number,
  loads?: GroupLoads,
): string[] {
  if (index < 0 || index >= clients.length) return [];
  if (strategy === 'kinesumer') return assignShards(readable, clients.length, index);
  const input = { stream, shards: readable, clients, owners: ownersOf(snapshot) };
  const all = strategy === 'sticky' ? stickyAssignment(input) : balancedAssignment(input, loads?.get(stream) ?? new Map());
  return all[clients[index]!] ?? [];
}
