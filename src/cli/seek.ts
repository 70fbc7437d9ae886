/**
 * `kinesumer seek`: checks the seek against Kinesis and the table, prints what it would change,
 * asks on a terminal (or takes `--yes`), and makes the writes (see `seekGroup`).
 */
import { createInterface } from 'node:readline';
import { UsageError } from '../errors.js';
import { applySeek, prepareSeek, type ResolvedSeekDependencies, type SeekPlan, type SeekResult } from '../group/seek-group.js';
import { SdkKinesisApi } from '../kinesis/sdk-kinesis-api.js';
import type { SeekTarget } from '../position.js';
import { DynamoDBStateStore } from '../state-store/dynamodb/dynamodb-state-store.js';
import { dynamoDBClient, kinesisClient } from './aws-clients.js';
import { CommandLineError, EXIT, type SeekCommandOptions } from './command-line.js';

/** The terminal the confirmation is asked on: stdin and stderr (the question is not a result). */
export interface Prompt {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Runs `kinesumer seek`.
 * @param options The parsed flags.
 * @param out Where the plan and the result go (stdout).
 * @param prompt Where to ask for confirmation without `--yes`.
 * @returns The exit code: 0 applied, 3 not confirmed.
 * @throws CommandLineError (exit 2) for a target or shard the stream does not have; the store's and Kinesis's errors (exit 1).
 */
export async function seek(options: SeekCommandOptions, out: NodeJS.WritableStream, prompt: Prompt): Promise<number> {
  const target = { region: options.region, kinesisEndpoint: options.kinesisEndpoint, dynamodbEndpoint: options.dynamodbEndpoint };
  const dynamo = dynamoDBClient(target, process.env);
  const kinesis = kinesisClient(target, process.env);
  try {
    const store = new DynamoDBStateStore({ table: options.table, client: dynamo, ...(options.dynamodbEndpoint !== undefined && { endpoint: options.dynamodbEndpoint }) });
    const deps: ResolvedSeekDependencies = { app: options.app, store, kinesis: new SdkKinesisApi(kinesis) };
    let plan: SeekPlan;
    try {
      plan = await prepareSeek(deps, options.stream, options.to, options.shards.length > 0 ? { shards: options.shards } : {});
    } catch (err) {
      if (err instanceof UsageError) throw new CommandLineError(err.message.replace(/^seek: /, ''));
      throw err;
    }
    out.write(renderPlan(options, plan));
    if (!options.yes) {
      const confirmed = await confirm(prompt, `seek ${plan.steps.length} shard${plan.steps.length === 1 ? '' : 's'} of "${plan.stream}"? [y/N] `);
      if (!confirmed) {
        out.write('not applied: nothing was changed\n');
        return EXIT.notConfirmed;
      }
    }
    out.write(renderResult(await applySeek(deps, plan)));
    return EXIT.ok;
  } finally {
    dynamo.destroy();
    kinesis.destroy();
  }
}

/**
 * Asks `question` on a terminal and resolves with whether the answer was yes. Without a terminal
 * (stdin or stderr redirected) it says so and resolves `false`: a seek is never applied unasked.
 */
export async function confirm(prompt: Prompt, question: string): Promise<boolean> {
  if (prompt.input.isTTY !== true || prompt.output.isTTY !== true) {
    prompt.output.write('kinesumer: not applied: there is no terminal to confirm on; pass --yes to apply without asking\n');
    return false;
  }
  const rl = createInterface({ input: prompt.input, output: prompt.output });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.question(question, resolve);
      rl.once('close', () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

/** What the seek would change, one line per shard. */
export function renderPlan(options: Pick<SeekCommandOptions, 'app' | 'table'>, plan: SeekPlan): string {
  const lines = [`seek of app "${options.app}" in table "${options.table}", stream "${plan.stream}", to ${describeTarget(plan.to)}:`];
  for (const step of plan.steps) {
    const now = step.before === undefined ? 'no state' : [step.before.finished ? 'finished' : step.before.sequenceNumber === undefined ? 'no checkpoint' : `checkpoint ${step.before.sequenceNumber}`, step.before.owner === undefined ? 'free' : `held by ${step.before.owner}`].join(', ');
    const then =
      step.action === 'keepFinished'
        ? 'recorded finished (read to its end already; not read again)'
        : step.action === 'finish'
          ? 'recorded finished (closed: nothing after its tip)'
          : `read again from ${describeTarget(step.target!)}${step.after.length > 0 ? `, after ${step.after.join(' and ')}` : ''}`;
    lines.push(`  ${step.shardId}: ${now} -> ${then}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderResult(result: SeekResult): string {
  const lines = [`applied: ${result.shards.length} shard${result.shards.length === 1 ? '' : 's'} of "${result.stream}" (seek counters ${result.shards.map((s) => `${s.shardId} ${s.seek}`).join(', ')})`];
  lines.push('running owners restart them at one of their next sync rounds (within about one sync interval, two at most)');
  return `${lines.join('\n')}\n`;
}

function describeTarget(target: SeekTarget): string {
  switch (target.type) {
    case 'TRIM_HORIZON':
      return 'trim_horizon (the oldest record kept)';
    case 'LATEST':
      return 'latest (what arrives from now on)';
    case 'AT_TIMESTAMP':
      return `the first record at or after ${target.timestamp.toISOString()}`;
    case 'AT_SEQUENCE_NUMBER':
      return `record ${target.sequenceNumber}`;
  }
}
