/**
 * The state-store table as the store's operations see it: each DynamoDB call named after the
 * store method it serves, its errors mapped (a failed condition is an outcome), every page of a
 * Query, batches of 25 writes or 100 reads with unprocessed requests retried, and items decoded
 * with the malformed ones reported.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeysAndAttributes,
  type QueryCommandInput,
  type TableDescription,
  type UpdateItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { Subject, type Observable } from 'rxjs';
import type * as t from 'io-ts';
import { MalformedItemError, describeCause, type KinesumerError } from '../../errors.js';
import { chunk, retryUnprocessed, type BatchRetryOptions } from './batch-retry.js';
import { describeLocation, toStateStoreError } from './dynamodb-errors.js';
import { decodeItem } from './items.js';
import type { UpdateExpression } from './update-expression.js';

/** An item as the SDK gives it. */
export type Item = Record<string, AttributeValue>;

/** An item's key: partition `pk`, sort `sk`. */
export interface ItemKey {
  pk: string;
  sk: string;
}

/** What {@link TableClient} needs besides the client and the table. */
export interface TableClientOptions {
  /** As configured, to describe where the table was looked for. */
  region?: string | undefined;
  endpoint?: string | undefined;
  /** How items left unprocessed by batch calls are retried. */
  batchRetry?: BatchRetryOptions | undefined;
  /** Items per Query page (`Limit`); default DynamoDB's 1 MB pages. */
  queryPageSize?: number | undefined;
}

/** DynamoDB allows 25 write requests per BatchWriteItem and 100 keys per BatchGetItem. */
const WRITE_BATCH = 25;
const READ_BATCH = 100;

/** The DynamoDB calls of the state store on one table. */
export class TableClient {
  /** Malformed items that were skipped. */
  readonly errors$: Observable<KinesumerError>;

  private readonly errors = new Subject<KinesumerError>();
  private location: Promise<string> | undefined;

  constructor(
    readonly client: DynamoDBClient,
    readonly table: string,
    private readonly options: TableClientOptions,
  ) {
    this.errors$ = this.errors.asObservable();
  }

  /** Runs one SDK call and maps what it throws. */
  async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw toStateStoreError(operation, err, { table: this.table, location: await this.describeLocation() });
    }
  }

  /**
   * Runs one conditional SDK call: `undefined` when its condition failed
   * (ConditionalCheckFailedException), otherwise as {@link TableClient.call}.
   */
  async callConditional<T>(operation: string, send: () => Promise<T>): Promise<T | undefined> {
    try {
      return await send();
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw toStateStoreError(operation, err, { table: this.table, location: await this.describeLocation() });
    }
  }

  /** Region and endpoint, for messages (looked up once). */
  describeLocation(): Promise<string> {
    this.location ??= describeLocation(this.client, { region: this.options.region, endpoint: this.options.endpoint });
    return this.location;
  }

  /** The table's description (DescribeTable). */
  async describe(operation: string): Promise<TableDescription | undefined> {
    const out = await this.call(operation, () => this.client.send(new DescribeTableCommand({ TableName: this.table })));
    return out.Table;
  }

  /** One item (a consistent GetItem), or `undefined` when there is none. */
  async getItem(operation: string, key: ItemKey): Promise<Item | undefined> {
    const out = await this.call(operation, () =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: marshall(key), ConsistentRead: true })),
    );
    return out.Item;
  }

  /** An UpdateItem (an upsert unless `update` has a condition, which must then hold). */
  async update(operation: string, key: ItemKey, update: UpdateExpression): Promise<void> {
    await this.call(operation, () => this.client.send(new UpdateItemCommand({ TableName: this.table, Key: marshall(key), ...update.toInput() })));
  }

  /** An UpdateItem that returns the item as it was before (`undefined` when there was none). */
  async updateReturningOld(operation: string, key: ItemKey, update: UpdateExpression): Promise<Item | undefined> {
    const out = await this.call(operation, () =>
      this.client.send(new UpdateItemCommand({ TableName: this.table, Key: marshall(key), ...update.toInput(), ReturnValues: 'ALL_OLD' })),
    );
    return out.Attributes as Item | undefined;
  }

  /**
   * A conditional UpdateItem: its output (with the item as written when `returnNew`), or
   * `undefined` when the condition failed.
   */
  updateIf(operation: string, key: ItemKey, update: UpdateExpression, returnNew = false): Promise<UpdateItemCommandOutput | undefined> {
    return this.callConditional(operation, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall(key),
          ...update.toInput(),
          ...(returnNew ? { ReturnValues: 'ALL_NEW' as const } : {}),
        }),
      ),
    );
  }

  /** Deletes one item; a missing one is no error. */
  async deleteItem(operation: string, key: ItemKey): Promise<void> {
    await this.call(operation, () => this.client.send(new DeleteItemCommand({ TableName: this.table, Key: marshall(key) })));
  }

  /** Every item of a Query, page by page. */
  async queryAll(operation: string, input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await this.call(operation, () =>
        this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.table,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
            ...(this.options.queryPageSize === undefined ? {} : { Limit: this.options.queryPageSize }),
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /** BatchWriteItem, 25 requests a call, unprocessed ones retried. */
  async writeAll(operation: string, requests: readonly WriteRequest[]): Promise<void> {
    for (const batch of chunk(requests, WRITE_BATCH)) {
      await retryUnprocessed(
        operation,
        batch,
        async (pending) => {
          const out = await this.call(operation, () =>
            this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: [...pending] } })),
          );
          return out.UnprocessedItems?.[this.table] ?? [];
        },
        this.options.batchRetry,
      );
    }
  }

  /** BatchGetItem (consistent), 100 keys a call, unprocessed keys retried. */
  async getAll(operation: string, keys: readonly Item[]): Promise<Item[]> {
    const items: Item[] = [];
    for (const batch of chunk(keys, READ_BATCH)) {
      await retryUnprocessed(
        operation,
        batch,
        async (pending) => {
          const request: KeysAndAttributes = { Keys: [...pending], ConsistentRead: true };
          const out = await this.call(operation, () =>
            this.client.send(new BatchGetItemCommand({ RequestItems: { [this.table]: request } })),
          );
          items.push(...(out.Responses?.[this.table] ?? []));
          return out.UnprocessedKeys?.[this.table]?.Keys ?? [];
        },
        this.options.batchRetry,
      );
    }
    return items;
  }

  /** Decodes items with `codec`; the malformed ones are reported on `errors$` and left out. */
  decodeAll<A, O>(codec: t.Type<A, O, unknown>, items: readonly Item[]): A[] {
    const decoded: A[] = [];
    for (const item of items) {
      let plain: Record<string, unknown>;
      try {
        // wrapNumbers: a large N attribute must not throw; it fails decoding instead.
        plain = unmarshall(item, { wrapNumbers: true });
      } catch (err) {
        this.report(new MalformedItemError(keyOf(item), `cannot be unmarshalled: ${describeCause(err)}`));
        continue;
      }
      const result = decodeItem(codec, plain);
      if (result.ok) decoded.push(result.value);
      else this.report(result.error);
    }
    return decoded;
  }

  /** One item decoded with `codec`, or `undefined` when it is malformed (then reported). */
  decode<A, O>(codec: t.Type<A, O, unknown>, item: Item): A | undefined {
    return this.decodeAll(codec, [item])[0];
  }

  /** Reports a problem that does not fail the call on `errors$`. */
  report(error: KinesumerError): void {
    this.errors.next(error);
  }
}

/** An item's key for messages, `<missing>` where a part is not a string. */
export function keyOf(item: Item): ItemKey {
  return { pk: item['pk']?.S ?? '<missing>', sk: item['sk']?.S ?? '<missing>' };
}

function isConditionalCheckFailed(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ConditionalCheckFailedException';
}
