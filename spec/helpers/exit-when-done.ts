/**
 * Loaded into every test worker (ava.config.js `require`): once AVA has every result of a file,
 * the worker exits even if something the file started is still running (a consumer left behind
 * by a test that failed half-way, retrying against emulators that were stopped). Without this,
 * one such leak keeps its worker, and so the whole run, alive for ever.
 */
import process from 'node:process';
import { registerCompletionHandler } from 'ava';

registerCompletionHandler(() => {
  process.exit();
});
