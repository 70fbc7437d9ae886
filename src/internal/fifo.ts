/**
 * A first-in first-out queue with O(1) `push` and `shift` (an array with a moving head, compacted
 * when half of it is consumed): the processing operators queue thousands of records per shard,
 * and `Array.prototype.shift` may copy the whole array each time.
 */
export class Fifo<T> implements Iterable<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The first item, without taking it. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes every item for which `drop` says so, keeping the order of the others. */
  remove(drop: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter((item) => !drop(item as T));
    this.head = 0;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as T;
  }
}
