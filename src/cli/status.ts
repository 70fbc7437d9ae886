/**
 * `kinesumer status`: the group's clients, leader, and per stream each shard's owner, state and
 * checkpoint, as a table or (`--json`) one JSON document. Reads only the state-store table.
 */
import { QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBStateStore } from '../state-store/dynamodb/dynamodb-state-store.js';
import { describeLocation, toStateStoreError } from '../state-store/dynamodb/dynamodb-errors.js';
import { shardCacheKey } from '../state-store/dynamodb/items.js';
import { dynamoDBClient, resolveRegion } from './aws-clients.js';
import type { StatusOptions } from './command-line.js';
import { readGroupStatus, type GroupStatus } from './group-status.js';
import { seconds } from './shard-reason.js';
import { watchStatus } from './watch.js';

/**
 * Runs `kinesumer status`.
 * @param options The parsed flags.
 * @param out Where the table or JSON goes (stdout); with `--watch`, redrawn in place when it is a terminal.
 * @param log Where warnings go (stderr): malformed items that were skipped.
 * @returns The exit code.
 */
export async function status(options: StatusOptions, out: NodeJS.WritableStream, log: (line: string) => void): Promise<number> {
  const client = dynamoDBClient({ region: options.region, dynamodbEndpoint: options.dynamodbEndpoint }, process.env);
  try {
    const store = new DynamoDBStateStore({
      table: options.table,
      client,
      ...(options.dynamodbEndpoint !== undefined && { endpoint: options.dynamodbEndpoint }),
    });
    store.errors$.subscribe((err) => log(`warning [${err.code}] ${err.message}`));
    await store.ready();
    const where = { table: options.table, region: resolveRegion(options, process.env) ?? null };
    const read = async () => {
      const streams = options.streams.length > 0 ? options.streams : await listAppStreams(store, options.app);
      return { ...where, ...(await readGroupStatus(store, { app: options.app, streams, clientTimeout: options.clientTimeout, now: new Date() })) };
    };
    if (options.watch) {
      const stop = new AbortController();
      const end = () => stop.abort();
      process.once('SIGINT', end).once('SIGTERM', end);
      try {
        await watchStatus(out, { read, render: (group) => renderStatus(group, options.table), json: options.json, interval: options.interval, signal: stop.signal, log });
      } finally {
        process.off('SIGINT', end).off('SIGTERM', end);
      }
      return 0;
    }
    const group = await read();
    out.write(options.json ? `${JSON.stringify(group, null, 2)}\n` : renderStatus(group, options.table));
    return 0;
  } finally {
    client.destroy();
  }
}

/**
 * The streams the group has a shard list for: the sort keys of the app's shard-cache items.
 * The state store has no method for this, so it is read here, in the table's layout
 * (`shard_cache#<app>` / stream), with one Query.
 */
async function listAppStreams(store: DynamoDBStateStore, app: string): Promise<string[]> {
  const streams: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    let page;
    try {
      page = await store.client.send(
        new QueryCommand({
          TableName: store.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': shardCacheKey(app) }),
          ProjectionExpression: 'sk',
          ExclusiveStartKey: start,
        }),
      );
    } catch (err) {
      throw toStateStoreError('listStreams', err, { table: store.table, location: await describeLocation(store.client) });
    }
    for (const item of page.Items ?? []) {
      const { sk } = unmarshall(item);
      if (typeof sk === 'string') streams.push(sk);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return streams.sort();
}

/** The status as aligned text tables. */
export function renderStatus(group: GroupStatus, table: string): string {
  const lines: string[] = [`app "${group.app}" in table "${table}" at ${group.time}`, ''];
  const dead = `dead (no heartbeat for ${seconds(group.clientTimeoutMs)})`;
  if (group.clients.length === 0) lines.push('no clients registered');
  else {
    lines.push(
      ...columns([
        ['CLIENT', 'LAST HEARTBEAT', 'STATE'],
        ...group.clients.map((c) => [c.clientId, `${seconds(c.heartbeatAgeMs)} ago`, c.leader ? 'alive, leader' : c.alive ? 'alive' : dead]),
      ]),
    );
  }
  if (group.clients.length > 0 && group.leader === null) lines.push('no client is alive, so there is no leader');
  if (group.streams.length === 0) lines.push('', 'no streams: no member has listed a stream yet (or pass --stream)');
  for (const stream of group.streams) {
    lines.push('', `stream "${stream.stream}"${stream.listed ? '' : ' (no shard list yet: the leader writes it at its next sync)'}`);
    if (stream.shards.length === 0) {
      lines.push('no shards');
      continue;
    }
    lines.push(
      ...columns([
        ['SHARD', 'STATE', 'OWNER', 'LAG', 'LAST RECORD', 'IN FLIGHT', 'CHECKPOINT', 'UPDATED', 'STATUS'],
        ...stream.shards.map((s) => [
          s.shardId + (s.parentShardId ? ` (from ${[s.parentShardId, s.adjacentParentShardId].filter(Boolean).join(' + ')})` : ''),
          s.state,
          s.owner === null ? '-' : s.ownerAlive ? s.owner : `${s.owner} (dead)`,
          s.lagMs === null ? '-' : seconds(s.lagMs),
          s.lastRecordAgeMs === null ? '-' : `${seconds(s.lastRecordAgeMs)} ago`,
          s.inFlight === null ? '-' : String(s.inFlight),
          s.checkpoint ?? (s.seekTo === null ? '-' : `(sought: ${s.seekTo})`),
          s.lastUpdate === null ? '-' : `${seconds(Date.parse(group.time) - Date.parse(s.lastUpdate))} ago`,
          s.reason,
        ]),
      ]),
    );
    lines.push(totalLine(stream));
  }
  return `${lines.join('\n')}\n`;
}

/** The group's figures for a stream on one line: `total: lag 1.2 s, last record 0.3 s ago, 40 in flight; 3 reading, 1 paused`. */
export function totalLine(stream: GroupStatus['streams'][number]): string {
  const { lagMs, lastRecordAgeMs, inFlight, statuses } = stream.total;
  const counts = Object.entries(statuses).map(([status, n]) => `${n} ${status}`);
  const lag = lagMs === null ? 'lag unknown' : `lag ${seconds(lagMs)} (largest)`;
  const age = lastRecordAgeMs === null ? '' : `, last record ${seconds(lastRecordAgeMs)} ago (oldest)`;
  return `total: ${lag}${age}, ${inFlight} in flight; ${counts.join(', ')}`;
}

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
