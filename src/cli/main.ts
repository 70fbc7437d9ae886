#!/usr/bin/env node
/**
 * The `kinesumer` command: `tail`, `status`, `seek` and `create-table` (see `kinesumer --help`).
 * Results go to stdout, logs and errors to stderr; a failure is one line on stderr, with the
 * stack only under `--debug`. Exit codes: 0 success, 1 failure, 2 bad command line, 3 a seek not
 * confirmed.
 */
import { readFileSync } from 'node:fs';
import { CommandLineError, EXIT, parseCommandLine, type Command } from './command-line.js';
import { createTable } from './create-table.js';
import { whereabouts } from './aws-clients.js';
import { debugDetails, failureMessage } from './failure-message.js';
import { seek } from './seek.js';
import { status } from './status.js';
import { tail } from './tail.js';

const argv = process.argv.slice(2);
const log = (line: string) => process.stderr.write(`kinesumer: ${line}\n`);

/** How long the process may take to wind down after its command finished, ms. */
const EXIT_GRACE = 3_000;

async function main(): Promise<number> {
  // The SDK warns on Node 20 about its releases from 2027 on, in eight lines on stderr; a failing
  // command must leave exactly one line there. The variable is the SDK's own switch for it.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  let command: Command;
  try {
    command = parseCommandLine(argv, process.env);
  } catch (err) {
    log(failureMessage(err));
    return err instanceof CommandLineError ? err.exitCode : EXIT.usage;
  }
  if (command.command === 'help') {
    process.stdout.write(`${command.text}\n`);
    return EXIT.ok;
  }
  if (command.command === 'version') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  try {
    switch (command.command) {
      case 'create-table':
        return await createTable(command.options, process.stdout);
      case 'status':
        return await status(command.options, process.stdout, log);
      case 'seek':
        return await seek(command.options, process.stdout, { input: process.stdin, output: process.stderr });
      case 'tail':
        return await tail(command.options, { out: process.stdout, log: (line) => process.stderr.write(`kinesumer tail: ${line}\n`) });
    }
  } catch (err) {
    log(failureMessage(err, whereabouts(command.options, process.env)));
    if (command.options.debug) process.stderr.write(`${debugDetails(err)}\n`);
    return err instanceof CommandLineError ? err.exitCode : EXIT.failure;
  }
}

function version(): string {
  // dist/cli/main.js and src/cli/main.ts both sit two levels below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const code = await main();
process.exitCode = code;
// SDK sockets and timers are closed by now; should anything still hold the event loop, leave anyway.
setTimeout(() => process.exit(code), EXIT_GRACE).unref();
