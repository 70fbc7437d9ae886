/**
 * The logger rx-kinesumer writes to: any object with pino's four methods fits (pino, bunyan,
 * winston, console). Messages are short sentences; `fields` carry ids (app, client, stream,
 * shard, error code), never credentials or record payloads.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

function line(level: string, fields: Record<string, unknown>, message: string): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `rx-kinesumer ${level}: ${message}${parts.length ? ` (${parts.join(' ')})` : ''}\n`;
}

/** The default: silent for debug and info; warnings and errors as one line each on stderr. */
export const stderrLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields, message) => void process.stderr.write(line('warn', fields, message)),
  error: (fields, message) => void process.stderr.write(line('error', fields, message)),
};

/** A logger that writes nothing, for tests and for applications that read `errors$` themselves. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
