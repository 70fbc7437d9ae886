/**
 * The long run of the end-to-end benchmark: a producer writes RATE records a second (~100 bytes,
 * keys spread over the 8 shards) to a fresh stream while every side reads it from LATEST, all at
 * once, in child processes of their own. After a warm-up (their start and join), each side counts
 * its CPU and the records it received in slices of 10 s (see liveWindow in measure.ts): CPU per
 * record at steady state, on the same data for every side.
 */
import { spawn } from 'node:child_process';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createStream } from '../../spec/helpers/aws-fixtures.js';
import type { Slice } from './measure.js';

/** A side of the live run: its child script and environment. */
export interface LiveSide {
  name: string;
  script: string;
  env: Record<string, string>;
}

/** What one side measured in the live run. */
export interface LiveResult {
  name: string;
  slices: Slice[];
  /** Requests made in the window, by kind, where the side counts them. */
  requests: Record<string, number>;
  peakRss: number;
}


/** Runs every side against one producer; resolves with each side's slices. */
export async function liveRun(options: {
  kinesis: KinesisClient;
  env: Record<string, string>;
  sides: LiveSide[];
  /** Where the compiled children are (see compile-children.ts). */
  children: string;
  seconds: number;
  rate: number;
}): Promise<{ results: LiveResult[]; produced: number; producedPerSecond: number }> {
  const { kinesis, sides, seconds, rate } = options;
  const stream = 'live';
  await createStream(kinesis, stream, 8);
  const sliceMs = 10_000;
  const warmupMs = 10_000;
  const children = sides.map((side, i) => {
    const child = spawn(process.execPath, ['--no-warnings', `${options.children}${side.script}.js`], {
      env: {
        ...process.env,
        ...options.env,
        STREAM: stream,
        APP: `live-${side.script}-${i}`,
        WINDOW: 'live',
        LIVE_WARMUP_MS: String(warmupMs),
        LIVE_SLICE_MS: String(sliceMs),
        LIVE_SLICES: String(Math.max(1, Math.round((seconds * 1000) / sliceMs))),
        ...side.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    return new Promise<LiveResult>((resolve, reject) =>
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`${side.name} (live) failed: ${stderr}`));
        const { slices, requests, peakRss } = JSON.parse(stdout.trim().split('\n').pop()!) as Omit<LiveResult, 'name'>;
        resolve({ name: side.name, slices, requests: requests ?? {}, peakRss });
      }),
    );
  });
  // The producer: one PutRecords every 100 ms, paced to `rate`, until every side is done.
  let running = true;
  const all = Promise.all(children).finally(() => (running = false));
  let produced = 0;
  const started = performance.now();
  while (running) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate) - produced;
    if (due > 0) {
      const batch = Math.min(due, 500);
      const Records = Array.from({ length: batch }, (_, i) => ({
        Data: Buffer.from(`live-${produced + i}-`.padEnd(100, 'x')),
        PartitionKey: `key-${(produced + i) % 1000}`,
      }));
      await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records }));
      produced += batch;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const results = await all;
  return { results, produced, producedPerSecond: Math.round(produced / ((performance.now() - started) / 1000)) };
}
