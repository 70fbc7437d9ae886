/** The help texts of the `kinesumer` command and of each of its commands. */

/** The state-store table name kinesumer (Go) uses, and the default of `--table`. */
export const DEFAULT_TABLE = 'kinesumer-state-store';

const TABLE_HELP = `  --table NAME               state-store table (default ${DEFAULT_TABLE})
  --region REGION            AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the SDK's
                             profile; us-east-1 when an endpoint is given)
  --dynamodb-endpoint URL    DynamoDB endpoint, e.g. dynalite (env KINESUMER_DYNAMODB_ENDPOINT)
  --debug                    print stack traces with errors
  -h, --help                 this help`;

/** The help text of each command, and of the program. */
export const HELP: Record<'tail' | 'status' | 'seek' | 'create-table' | 'kinesumer', string> = {
  kinesumer: `kinesumer: look at, tail and seek rx-kinesumer consumer groups (Kinesis + DynamoDB state store)

Usage:
  kinesumer tail --app APP --stream STREAM [--stream STREAM2 ...] [options]
  kinesumer status --app APP [--json] [--watch] [options]
  kinesumer seek --app APP --stream STREAM --to POSITION [--shard ID ...] [--yes] [options]
  kinesumer create-table [--table NAME] [options]

  kinesumer COMMAND --help    the options of a command
  kinesumer --version

Exit codes: 0 success, 1 failure (unreachable endpoint, missing table or stream), 2 bad command line,
3 a seek not confirmed (no --yes, and no terminal to ask on or the answer was no).
AWS credentials come from the SDK's default chain (environment, profile, instance role).`,

  tail: `kinesumer tail: join a consumer group and print its share of the records, one JSON line each

Usage: kinesumer tail --app APP --stream STREAM [--stream STREAM2 ...] [options]

Each line: {"stream","shardId","sequenceNumber","partitionKey","approximateArrivalTimestamp","data"}
"data" is the payload as a string when it is valid UTF-8, else {"base64": "..."}.
A record is checkpointed only after its line was written to stdout. Logs go to stderr.
SIGTERM or SIGINT: stop reading, commit, release the shards, leave the group, exit 0.

Options:
  --app APP                  consumer group name (required)
  --stream STREAM            stream to read; repeat for several (required)
  --client-id ID             this member's id (default: hostname + random suffix)
  --from POSITION            where shards without a checkpoint start: latest (default),
                             trim_horizon, or an ISO timestamp such as 2024-03-01T12:00:00Z
  --kinesis-endpoint URL     Kinesis endpoint, e.g. kinesis-local (env KINESUMER_KINESIS_ENDPOINT)
  --sync-interval MS         heartbeat and rebalance period (default 5000)
  --client-timeout MS        a member silent this long is dead (default 10000)
  --commit-interval MS       checkpoint commit period (default 5000)
  --efo                      read with enhanced fan-out (SubscribeToShard) instead of GetRecords;
                             registers a stream consumer named after APP (see the README)
${TABLE_HELP}`,

  status: `kinesumer status: show a consumer group's members, leader, shard owners and checkpoints

Usage: kinesumer status --app APP [--stream STREAM ...] [--json] [--watch] [options]

Reads only the state-store table. Lag, last-record age and records in flight are what each
member publishes in its heartbeat (no Kinesis call); each shard gets a status and its reason.

Options:
  --app APP                  consumer group name (required)
  --stream STREAM            only this stream; repeat for several (default: every stream of APP)
  --json                     one JSON document instead of a table
  --watch                    show it again every second until Ctrl-C: redrawn in place on a
                             terminal, one line per update otherwise (one JSON line with --json)
  --interval MS              with --watch: time between updates (default 1000, at least 100)
  --client-timeout MS        heartbeat age after which a member counts as dead (default 10000;
                             use the group's own setting)
${TABLE_HELP}`,

  seek: `kinesumer seek: send a group's shards back (replay) or forward (skip), safely while it runs

Usage: kinesumer seek --app APP --stream STREAM --to POSITION [--shard ID ...] [--yes] [options]

POSITION: trim_horizon (the oldest record kept), latest (skip the backlog), an ISO timestamp or
date (records at or after it are delivered again; 2024-03-01 is UTC midnight), or a sequence
number (with exactly one --shard: that record and what follows).
Every running owner of a sought shard notices within about one sync interval (two at most),
stops at once and reads again from POSITION; marks made before the seek never overwrite it.
A time before a split or merge reads the parents again first, then the children.
Without --yes it prints what would change and asks on a terminal; without one it changes nothing
and exits 3.

Options:
  --app APP                  consumer group name (required)
  --stream STREAM            the stream (required, once)
  --to POSITION              where to go (required)
  --shard ID                 only this shard and its descendants; repeat for several
  -y, --yes                  apply without asking
  --kinesis-endpoint URL     Kinesis endpoint, e.g. kinesis-local (env KINESUMER_KINESIS_ENDPOINT)
${TABLE_HELP}`,

  'create-table': `kinesumer create-table: create the state-store table and its index, wait until ACTIVE

Usage: kinesumer create-table [--table NAME] [options]

An existing table is not an error; its schema is checked.

Options:
${TABLE_HELP}`,
};
