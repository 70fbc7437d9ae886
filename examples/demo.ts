/**
 * `npm run demo`: a consumer group at work on embedded emulators, no AWS account needed.
 *
 * Starts kinesis-local and dynalite, creates a 4-shard stream and the state-store table, and runs
 * a producer and three group members, each a process of its own (the members are
 * `kinesumer tail` processes). A short script plays out: a member is killed with SIGKILL, a new
 * member joins, a shard is split. A live view shows each member's shards, records per second and
 * lag, and the leader. At the end the members leave with SIGTERM and the demo checks that every
 * record produced was delivered; it exits 1 if one was lost.
 *
 *   npm run demo                  # about 30 seconds
 *   DEMO_SECONDS=60 npm run demo  # a longer script (at least 15)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readGroupStatus, type GroupStatus } from '../src/cli/group-status.js';
import type { RecordLine } from '../src/cli/record-line.js';
import { createStateTable } from '../src/state-store/dynamodb/create-table.js';
import { DynamoDBStateStore } from '../src/state-store/dynamodb/dynamodb-state-store.js';
import { Producer, TailMember, type GroupSetup } from './support/demo-processes.js';
import { localAws, startDynalite, startKinesisLocal, type Emulator } from './support/emulators.js';
import { LiveView } from './support/live-view.js';
import { createStream, isOpen, listShards, localKinesisClient, splitShard } from './support/local-kinesis.js';
import { Rebalances } from './support/rebalances.js';

const MIN_SECONDS = 15;
const seconds = Math.max(MIN_SECONDS, Number(process.env['DEMO_SECONDS'] ?? 25) || 25);
const RATE = 100; // records per second
const SHARDS = 4;
const timings = { syncInterval: 1000, clientTimeout: 3000, commitInterval: 1000 };
/** How long an event waits for the previous rebalance to settle, and the drain at the end, ms. */
const SETTLE_WAIT = 15_000;
const DRAIN_WAIT = 20_000;

/** When the script started (after the emulators, stream and table were set up). */
let origin = Date.now();
const clock = () => `${((Date.now() - origin) / 1000).toFixed(1).padStart(5)} s`;
const shortId = (shardId: string) => `#${Number(shardId.replace(/^shardId-/, ''))}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const view = new LiveView();
const say = (line: string) => view.event(`${clock()}  ${line}`);

// Everything started here, so that every way out stops it.
let emulators: Emulator[] = [];
const members = new Map<string, TailMember>();
let producer: Producer | undefined;
async function stopEverything(): Promise<void> {
  producer?.kill();
  for (const member of members.values()) if (member.running) member.child.kill('SIGKILL');
  await Promise.all(emulators.map((e) => e.stop()));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    view.close();
    void stopEverything().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

let exitCode = 1;
try {
  process.stdout.write(`starting kinesis-local and dynalite...\n`);
  const [kinesisLocal, dynalite] = await Promise.all([startKinesisLocal({ splitShardDuration: 500 }), startDynalite()]);
  emulators = [kinesisLocal, dynalite];
  const setup: GroupSetup = {
    app: 'demo',
    stream: 'demo-stream',
    table: 'kinesumer-state-store',
    kinesisEndpoint: kinesisLocal.endpoint,
    dynamodbEndpoint: dynalite.endpoint,
    ...timings,
  };
  const kinesis = localKinesisClient(kinesisLocal.endpoint);
  const dynamodb = new DynamoDBClient({ ...localAws, endpoint: dynalite.endpoint });
  await createStream(kinesis, setup.stream, SHARDS);
  await createStateTable(dynamodb, setup.table);
  const store = new DynamoDBStateStore({ table: setup.table, client: dynamodb });
  process.stdout.write(
    `kinesis-local ${kinesisLocal.endpoint}, dynalite ${dynalite.endpoint}: stream "${setup.stream}" (${SHARDS} shards), ` +
      `table "${setup.table}"\n` +
      `members run: kinesumer tail --app ${setup.app} --stream ${setup.stream} --from trim_horizon ` +
      `--sync-interval ${timings.syncInterval} --client-timeout ${timings.clientTimeout} --commit-interval ${timings.commitInterval}\n` +
      `look at the group from another shell: KINESUMER_DYNAMODB_ENDPOINT=${dynalite.endpoint} ` +
      `AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x npx tsx src/cli/main.ts status --app ${setup.app} --client-timeout 3000\n\n`,
  );

  // What was produced and delivered, and each member's recent deliveries for rates and lag.
  const produced = new Set<string>();
  const deliveries = new Map<string, number>();
  let delivered = 0;
  const recent = new Map<string, { at: number; lag: number }[]>();
  const totals = new Map<string, number>();
  origin = Date.now();
  const rebalances = new Rebalances(origin);

  const onRecord = (id: string) => (line: RecordLine, at: number) => {
    const payload = typeof line.data === 'string' ? line.data : '';
    deliveries.set(payload, (deliveries.get(payload) ?? 0) + 1);
    delivered += 1;
    totals.set(id, (totals.get(id) ?? 0) + 1);
    const arrival = line.approximateArrivalTimestamp === null ? at : Date.parse(line.approximateArrivalTimestamp);
    recent.get(id)!.push({ at, lag: Math.max(0, at - arrival) });
    rebalances.delivered(id, line.shardId, at);
  };
  const join = (id: string) => {
    recent.set(id, []);
    members.set(id, new TailMember(id, setup, onRecord(id)));
  };

  producer = new Producer(kinesisLocal.endpoint, setup.stream, RATE, (payloads) => payloads.forEach((p) => produced.add(p)));
  ['member-1', 'member-2', 'member-3'].forEach(join);
  say(`producer writes ${RATE} records/s; member-1, member-2 and member-3 start`);
  rebalances.begin('start of 3 members', Date.now());

  // The group as the state store and Kinesis see it, read every half second.
  let status: GroupStatus | undefined;
  let openShards: string[] = [];
  const running = () => [...members.values()].filter((m) => m.running).map((m) => m.id);
  const owned = (id: string) => (status?.streams[0]?.shards ?? []).filter((s) => s.owner === id && openShards.includes(s.shardId)).map((s) => shortId(s.shardId));
  async function observe(): Promise<void> {
    let group: GroupStatus;
    let shards: Awaited<ReturnType<typeof listShards>>;
    try {
      [group, shards] = await Promise.all([
        readGroupStatus(store, { app: setup.app, streams: [setup.stream], clientTimeout: timings.clientTimeout, now: new Date() }),
        listShards(kinesis, setup.stream),
      ]);
    } catch (err) {
      say(`could not read the group (trying again): ${(err as Error).message}`);
      return;
    }
    status = group;
    openShards = shards.filter(isOpen).map((s) => s.ShardId!);
    const owners = new Map((group.streams[0]?.shards ?? []).map((s) => [s.shardId, s.owner] as const));
    const settled = rebalances.check({ openShards, owners, running: running() });
    if (settled) {
      const holding = running().map((id) => `${id} ${owned(id).join(' ') || '-'}`).join(', ');
      say(`settled after "${settled.label}" in ${(settled.tookMs! / 1000).toFixed(1)} s: ${holding}`);
    }
  }

  function draw(phase: string): void {
    const now = Date.now();
    const rows = [...members.values()].map((m) => {
      const window = (recent.get(m.id) ?? []).filter((d) => d.at > now - 2000);
      recent.set(m.id, window);
      const rate = Math.round(window.length / 2);
      const lag = window.length > 0 ? `${(Math.max(...window.map((d) => d.lag)) / 1000).toFixed(1)} s` : '-';
      const leader = status?.leader === m.id ? ' (leader)' : '';
      const state = m.running ? owned(m.id).join(' ') || '-' : m.exit === 'SIGKILL' ? 'killed' : m.exit === 0 ? 'left' : `exit ${m.exit}`;
      return { id: m.id + leader, state, rate: m.running ? String(rate) : '-', lag: m.running ? lag : '-', total: String(totals.get(m.id) ?? 0) };
    });
    const duplicates = delivered - deliveries.size;
    view.update({
      lines: [
        `rx-kinesumer demo  ${clock()} of ${seconds} s  ${phase}`,
        `producer  ${produced.size} records written  ·  delivered ${deliveries.size} distinct  ·  duplicates ${duplicates}`,
        `open shards ${openShards.map(shortId).join(' ')}`,
        '',
        `${'MEMBER'.padEnd(20)}${'SHARDS'.padEnd(14)}${'REC/S'.padStart(6)}${'LAG'.padStart(8)}${'DELIVERED'.padStart(11)}`,
        ...rows.map((r) => `${r.id.padEnd(20)}${r.state.padEnd(14)}${r.rate.padStart(6)}${r.lag.padStart(8)}${r.total.padStart(11)}`),
      ],
      compact:
        `${clock()}  ` +
        (rows.filter((r) => r.rate !== '-').map((r) => `${r.id} [${r.state}] ${r.rate}/s lag ${r.lag}`).join('  ') || 'no member running') +
        `  | written ${produced.size}, delivered ${deliveries.size}, duplicates ${duplicates}`,
    });
  }

  // The script: each event at its share of the run, once the previous rebalance settled.
  const script: { at: number; run: () => Promise<string> }[] = [
    {
      at: 0.2,
      run: async () => {
        const victim = running().sort((a, b) => owned(b).length - owned(a).length)[0]!;
        const held = owned(victim).join(' ');
        await members.get(victim)!.kill();
        return `SIGKILL ${victim}${held ? ` (it held ${held})` : ''}`;
      },
    },
    {
      at: 0.45,
      run: async () => {
        join('member-4');
        return 'member-4 joins';
      },
    },
    {
      at: 0.7,
      run: async () => {
        const parent = [...openShards].sort()[0]!;
        await splitShard(kinesis, setup.stream, parent);
        const children = (await listShards(kinesis, setup.stream)).filter((s) => s.ParentShardId === parent).map((s) => shortId(s.ShardId!));
        return `split ${shortId(parent)} into ${children.join(' ')}`;
      },
    },
  ];

  let lastEvent = Date.now();
  let tick = 0;
  const deadline = origin + (seconds + 30) * 1000; // however late the events, the demo ends
  while (Date.now() < deadline && (Date.now() < origin + seconds * 1000 || script.length > 0 || rebalances.settling)) {
    await sleep(500);
    await observe();
    const next = script[0];
    const due = next !== undefined && Date.now() >= origin + next.at * seconds * 1000;
    if (due && (!rebalances.settling || Date.now() - lastEvent > SETTLE_WAIT)) {
      script.shift();
      const started = Date.now();
      const label = await next.run();
      rebalances.begin(label, started);
      lastEvent = started;
      say(label);
    }
    if (++tick % 2 === 0) draw('');
  }
  rebalances.end();

  // The end: stop producing, let the members catch up, then let them leave gracefully.
  await producer.stop();
  say(`producer stops after ${produced.size} records; waiting for the members to catch up`);
  const drainUntil = Date.now() + DRAIN_WAIT;
  while (Date.now() < drainUntil && [...produced].some((p) => !deliveries.has(p))) {
    await sleep(500);
    await observe();
    if (++tick % 2 === 0) draw('(draining)');
  }
  const leaving = running();
  say(`SIGTERM ${leaving.join(', ')}: each commits, releases its shards and leaves`);
  const exits = await Promise.all(leaving.map(async (id) => [id, await members.get(id)!.stop()] as const));
  await observe();
  draw('(done)');

  // The verdict.
  const lost = [...produced].filter((p) => !deliveries.has(p));
  const duplicates = delivered - deliveries.size;
  const badExits = exits.filter(([, exit]) => exit !== 0);
  const crashed = [...members.values()].filter((m) => m.exit !== 0 && m.exit !== 'SIGKILL' && !leaving.includes(m.id));
  const lines = [
    '',
    `produced ${produced.size}  ·  delivered ${deliveries.size} distinct  ·  lost ${lost.length}  ·  duplicates ${duplicates}` +
      (duplicates > 0 ? ' (printed by the killed member but not yet committed, so delivered again: at-least-once)' : ''),
    `rebalances: ${rebalances.done.map((r) => `${r.label} ${r.tookMs === undefined ? 'did not settle' : `${(r.tookMs / 1000).toFixed(1)} s`}`).join('  ·  ')}`,
    `left with SIGTERM: ${exits.map(([id, exit]) => `${id} exit ${exit}`).join(', ')}`,
  ];
  for (const [id] of badExits) lines.push(`${id} did not close cleanly; its stderr:\n${members.get(id)!.stderr()}`);
  for (const m of crashed) lines.push(`${m.id} stopped on its own (${m.exit}); its stderr:\n${m.stderr()}`);
  if (lost.length > 0) lines.push(`lost: ${lost.slice(0, 10).join(', ')}${lost.length > 10 ? ', ...' : ''}`);
  const ok = lost.length === 0 && produced.size > 0 && badExits.length === 0 && crashed.length === 0;
  lines.push(ok ? `PASS: every produced record was delivered (${produced.size}), lost 0, duplicates ${duplicates}` : 'FAIL: see above');
  view.close();
  process.stdout.write(`${lines.join('\n')}\n`);
  exitCode = ok ? 0 : 1;
  kinesis.destroy();
  dynamodb.destroy();
} catch (err) {
  view.close();
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  for (const m of members.values()) if (m.stderr()) process.stderr.write(`${m.id} stderr:\n${m.stderr()}\n`);
} finally {
  await stopEverything();
}
process.exit(exitCode);
