/** An unbounded push queue consumed as an async iterator; ends normally or with an error. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waiting: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void }[] = [];
  private done = false;
  private error: unknown;

  constructor(
    /** Called when the consumer asks for the next item: the previous one is processed. */
    private readonly onPull?: () => void,
    private readonly onReturn?: () => void,
    /** Called with each item as it is handed to the consumer. */
    private readonly onYield?: (item: T) => void,
  ) {}

  push(item: T): void {
    if (this.done) return;
    const w = this.waiting.shift();
    if (w) {
      this.onYield?.(item);
      w.resolve({ value: item, done: false });
    } else this.items.push(item);
  }

  end(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    for (const w of this.waiting.splice(0)) {
      if (error !== undefined) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  get size(): number {
    return this.items.length;
  }

  next(): Promise<IteratorResult<T>> {
    this.onPull?.();
    if (this.items.length) {
      const item = this.items.shift()!;
      this.onYield?.(item);
      return Promise.resolve({ value: item, done: false });
    }
    if (this.done) return this.error !== undefined ? Promise.reject(this.error) : Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.end();
    this.onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
