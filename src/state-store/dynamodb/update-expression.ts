/**
 * A small builder for DynamoDB's UpdateItem expressions: it collects SET and REMOVE actions and
 * a condition, and names in `ExpressionAttributeNames` and `ExpressionAttributeValues` exactly
 * the names and values they use (DynamoDB refuses a request that lists one it does not use).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, type marshallOptions } from '@aws-sdk/util-dynamodb';

/** A condition expression with the names and values it uses. */
export interface Condition {
  readonly expression: string;
  readonly names: Readonly<Record<string, string>>;
  readonly values: Readonly<Record<string, unknown>>;
}

/** Every one of `conditions`, joined with `AND`. */
export function and(...conditions: readonly Condition[]): Condition {
  return {
    expression: conditions.map((c) => c.expression).join(' AND '),
    names: Object.assign({}, ...conditions.map((c) => c.names)),
    values: Object.assign({}, ...conditions.map((c) => c.values)),
  };
}

/** The expression parts of an UpdateItem input. */
export interface UpdateInput {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

/**
 * An UpdateExpression under construction. Attribute `a` is named `#a`; a value is named `:` and
 * its placeholder (the attribute by default). `A` lists the attributes an item kind has.
 *
 * ## Example
 * ```ts
 * import { UpdateExpression } from './update-expression.js';
 * const input = new UpdateExpression<'owner' | 'last_update'>()
 *   .set('last_update', now.toISOString(), 'now')
 *   .remove('owner')
 *   .when({ expression: '#owner = :me', names: { '#owner': 'owner' }, values: { ':me': 'client-1' } })
 *   .toInput();
 * // input.UpdateExpression: 'SET #last_update = :now REMOVE #owner'
 * ```
 */
export class UpdateExpression<A extends string = string> {
  private readonly sets: string[] = [];
  private readonly adds: string[] = [];
  private readonly removes = new Set<string>();
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, unknown> = {};
  private condition: string | undefined;

  /** @param marshalling How values are marshalled (the SDK's `marshall` options). */
  constructor(private readonly marshalling?: marshallOptions) {}

  /**
   * Adds `SET #attribute = :placeholder`.
   * @param attribute The attribute to set.
   * @param value Its new value (marshalled with the SDK's `marshall`).
   * @param placeholder The value's name without `:`; default `attribute`.
   */
  set(attribute: A, value: unknown, placeholder: string = attribute): this {
    this.sets.push(`${this.name(attribute)} = ${this.value(placeholder, value)}`);
    return this;
  }

  /**
   * Adds `ADD #attribute :placeholder`: a number attribute grows by `value` (created at `value`
   * when absent), atomically.
   */
  add(attribute: A, value: number, placeholder: string = attribute): this {
    this.adds.push(`${this.name(attribute)} ${this.value(placeholder, value)}`);
    return this;
  }

  /** Adds `SET #attribute = #from`: the value of another attribute of the item (which must have it). */
  copy(attribute: A, from: A): this {
    this.sets.push(`${this.name(attribute)} = ${this.name(from)}`);
    return this;
  }

  /** Adds `REMOVE #attribute` (once, however often it is asked). */
  remove(attribute: A): this {
    this.removes.add(this.name(attribute));
    return this;
  }

  /** Makes the update conditional on `condition` (its names and values join the update's). */
  when(condition: Condition): this {
    Object.entries(condition.names).forEach(([name, attribute]) => this.addName(name, attribute));
    Object.entries(condition.values).forEach(([name, value]) => this.addValue(name, value));
    this.condition = condition.expression;
    return this;
  }

  /** The expression parts of an UpdateItemCommand input. */
  toInput(): UpdateInput {
    const actions = [
      ...(this.sets.length > 0 ? [`SET ${this.sets.join(', ')}`] : []),
      ...(this.adds.length > 0 ? [`ADD ${this.adds.join(', ')}`] : []),
      ...(this.removes.size > 0 ? [`REMOVE ${[...this.removes].join(', ')}`] : []),
    ];
    return {
      UpdateExpression: actions.join(' '),
      ...(this.condition === undefined ? {} : { ConditionExpression: this.condition }),
      ExpressionAttributeNames: { ...this.names },
      ...(Object.keys(this.values).length === 0 ? {} : { ExpressionAttributeValues: marshall(this.values, this.marshalling) }),
    };
  }

  private name(attribute: string): string {
    return this.addName(`#${attribute}`, attribute);
  }

  private value(placeholder: string, value: unknown): string {
    return this.addValue(`:${placeholder}`, value);
  }

  private addName(name: string, attribute: string): string {
    if (this.names[name] !== undefined && this.names[name] !== attribute) throw new Error(`${name} names both ${this.names[name]} and ${attribute}`);
    this.names[name] = attribute;
    return name;
  }

  /** A placeholder may be used twice only for one value (such as the shard start in a take and its condition). */
  private addValue(name: string, value: unknown): string {
    if (name in this.values && this.values[name] !== value) throw new Error(`${name} stands for two values`);
    this.values[name] = value;
    return name;
  }
}
