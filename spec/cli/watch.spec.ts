import test from 'ava';
import type { GroupStatus } from '../../src/cli/group-status.js';
import { compactLine, watchStatus } from '../../src/cli/watch.js';

function group(n: number): GroupStatus {
  return {
    app: 'app',
    time: `2024-03-01T12:00:0${n}.000Z`,
    clientTimeoutMs: 10_000,
    leader: 'a',
    clients: [{ clientId: 'a', lastHeartbeat: '2024-03-01T12:00:00.000Z', heartbeatAgeMs: 0, alive: true, leader: true }],
    streams: [{ stream: 's', listed: true, shards: [], total: { lagMs: 1200 * n, lastRecordAgeMs: null, inFlight: n, statuses: { reading: 2, paused: 1 } } }],
  };
}

/** Runs a watch over `frames` reads (a function throws when it is one), stopping after the last. */
async function watch(frames: (number | Error)[], tty: boolean, json = false) {
  const writes: string[] = [];
  const logs: string[] = [];
  const out = Object.assign({ write: (chunk: string) => writes.push(chunk) > 0 }, tty ? { isTTY: true } : {}) as unknown as NodeJS.WritableStream;
  const stop = new AbortController();
  let i = 0;
  await watchStatus(out, {
    read: async () => {
      const frame = frames[i++]!;
      if (i >= frames.length) stop.abort();
      if (frame instanceof Error) throw frame;
      return group(frame);
    },
    render: (g) => `HEADER ${g.time}\nline two\nline three\n`,
    json,
    interval: 1,
    signal: stop.signal,
    log: (line) => logs.push(line),
  });
  return { writes, logs };
}

test('on a terminal each update is drawn over the previous one: up by its lines, clear to the end, each line cleared to its end', async (t) => {
  const previous = process.env['TERM'];
  process.env['TERM'] = 'xterm';
  try {
    const { writes } = await watch([1, 2, 3], true);
    t.is(writes.length, 2, 'the read that saw the stop draws nothing');
    t.is(writes[0], 'HEADER 2024-03-01T12:00:01.000Z\x1b[K\nline two\x1b[K\nline three\x1b[K\n');
    t.is(writes[1], '\x1b[3F\x1b[J' + 'HEADER 2024-03-01T12:00:02.000Z\x1b[K\nline two\x1b[K\nline three\x1b[K\n');
  } finally {
    process.env['TERM'] = previous;
  }
});

test('elsewhere one compact line per update, and one JSON document per line with --json', async (t) => {
  const plain = await watch([1, 2, 3], false);
  t.deepEqual(plain.writes, [`${compactLine(group(1))}\n`, `${compactLine(group(2))}\n`]);
  t.is(compactLine(group(1)), '2024-03-01T12:00:01.000Z 1 alive, leader a | "s" lag 1.2 s, 1 in flight, 2 reading, 1 paused');
  const json = await watch([1, 2, 3], true, true);
  t.deepEqual(json.writes.map((w) => JSON.parse(w) as GroupStatus), [group(1), group(2)], 'no redrawing with --json, even on a terminal');
});

test('a failed first read ends the watch with its error; a later one is logged and the watch goes on', async (t) => {
  await t.throwsAsync(watch([new Error('table not found')], false), { message: 'table not found' });
  const { writes, logs } = await watch([1, new Error('throttled'), 2, 3], false);
  t.is(writes.length, 2);
  t.deepEqual(logs, ['reading the status failed, trying again: throttled']);
});
