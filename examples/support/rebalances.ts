/**
 * Times the demo's rebalances. After an event (the start, a SIGKILL, a join, a split) the group
 * has settled once every open shard is held by a running member, every running member holds a
 * shard (when there are enough), and every open shard has delivered a record through its holder
 * since the event. The rebalance took from the event to the last of those first deliveries.
 */

/** The group as the demo sees it at one moment. */
export interface GroupView {
  /** Open shards, from ListShards. */
  openShards: readonly string[];
  /** Holder of each shard, from the state store. */
  owners: ReadonlyMap<string, string | null>;
  /** Members whose process is running. */
  running: readonly string[];
}

/** A rebalance that settled, or did not before the demo ended. */
export interface Rebalance {
  label: string;
  /** ms since the demo started. */
  at: number;
  tookMs: number | undefined;
}

export class Rebalances {
  readonly done: Rebalance[] = [];
  private pending: { label: string; since: number; at: number } | undefined;
  /** shard → member → time of its first delivery since the pending event. */
  private firstDelivery = new Map<string, Map<string, number>>();

  constructor(private readonly origin: number) {}

  /** Whether an event is still waiting for the group to settle. */
  get settling(): boolean {
    return this.pending !== undefined;
  }

  /** An event happened at `now`: time the group until it settles. Ends any unsettled one first. */
  begin(label: string, now: number): void {
    if (this.pending) this.done.push({ label: this.pending.label, at: this.pending.at, tookMs: undefined });
    this.pending = { label, since: now, at: now - this.origin };
    this.firstDelivery = new Map();
  }

  /** A member delivered a record of `shardId` at `at`. */
  delivered(member: string, shardId: string, at: number): void {
    if (!this.pending || at < this.pending.since) return;
    let byMember = this.firstDelivery.get(shardId);
    if (!byMember) this.firstDelivery.set(shardId, (byMember = new Map()));
    if (!byMember.has(member)) byMember.set(member, at);
  }

  /**
   * Checks whether the group settled.
   * @returns The finished rebalance when it just settled, else `undefined`.
   */
  check(view: GroupView): Rebalance | undefined {
    if (!this.pending) return undefined;
    const running = new Set(view.running);
    const holding = new Set<string>();
    let last = this.pending.since;
    for (const shard of view.openShards) {
      const owner = view.owners.get(shard);
      if (!owner || !running.has(owner)) return undefined;
      const first = this.firstDelivery.get(shard)?.get(owner);
      if (first === undefined) return undefined;
      holding.add(owner);
      last = Math.max(last, first);
    }
    if (view.openShards.length >= running.size && holding.size < running.size) return undefined;
    const rebalance = { label: this.pending.label, at: this.pending.at, tookMs: last - this.pending.since };
    this.done.push(rebalance);
    this.pending = undefined;
    return rebalance;
  }

  /** Records the event still settling, if any, as unsettled. */
  end(): void {
    if (this.pending) this.done.push({ label: this.pending.label, at: this.pending.at, tookMs: undefined });
    this.pending = undefined;
  }
}
