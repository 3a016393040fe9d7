export interface ChunkBatcherOptions<T> {
  /** Bytes gathered before a batch is sent (a bigger item goes out alone). */
  readonly chunkSize: number;
  /**
   * The linger (Kafka's `linger.ms`): how long the first item of a batch
   * waits for company while the sender is idle; 0 sends on the next turn of
   * the event loop. While a batch is in flight, items keep gathering instead.
   */
  readonly flushIntervalMs: number;
  readonly sizeOf: (item: T) => number;
  /** Sends one batch; its promise settles every item in it. */
  readonly send: (items: readonly T[]) => Promise<void>;
}

interface Entry<T> {
  readonly item: T;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * go-queue's `ChunkExecutor`, with results and a linger: items gather until
 * `chunkSize` bytes, or until the first of them has waited `flushIntervalMs`
 * and no batch is in flight, then go out as one batch. A batch that comes due
 * while another is being sent waits for it and takes everything gathered
 * meanwhile, so a short linger answers a lone push at once without cutting a
 * busy stream into small batches. Batches are sent one at a time, in order.
 * Each `add` settles when its batch was sent or failed.
 */
export class ChunkBatcher<T> {
  readonly #options: ChunkBatcherOptions<T>;
  #buffer: Entry<T>[] = [];
  #bytes = 0;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** The buffer's linger is over: it goes out as soon as the sender is free. */
  #due = false;
  readonly #ready: Entry<T>[][] = [];
  #sending = false;
  #idleWaiters: Array<() => void> = [];

  constructor(options: ChunkBatcherOptions<T>) {
    this.#options = options;
  }

  /** Buffers `item`; resolves when the batch holding it was sent, rejects with the send's error. */
  add(item: T): Promise<void> {
    const size = this.#options.sizeOf(item);
    return new Promise<void>((resolve, reject) => {
      if (this.#buffer.length > 0 && this.#bytes + size > this.#options.chunkSize) this.#cut();
      this.#buffer.push({ item, resolve, reject });
      this.#bytes += size;
      if (this.#bytes >= this.#options.chunkSize) this.#cut();
      else this.#arm();
    });
  }

  /** Sends what is buffered now; resolves once every batch so far has settled. */
  flush(): Promise<void> {
    this.#cut();
    if (!this.#sending && this.#ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Items buffered and not yet handed to `send`. */
  get buffered(): number {
    return this.#buffer.length;
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    const fire = () => {
      this.#timer = undefined;
      if (this.#sending) this.#due = true;
      else this.#cut();
    };
    if (this.#options.flushIntervalMs === 0) this.#timer = setImmediate(fire);
    else this.#timer = setTimeout(fire, this.#options.flushIntervalMs);
  }

  #disarm(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer as NodeJS.Timeout);
    clearImmediate(this.#timer as NodeJS.Immediate);
    this.#timer = undefined;
  }

  #cut(): void {
    this.#disarm();
    this.#due = false;
    if (this.#buffer.length === 0) return;
    this.#ready.push(this.#buffer);
    this.#buffer = [];
    this.#bytes = 0;
    this.#pump();
  }

  #pump(): void {
    if (this.#sending) return;
    if (this.#ready.length === 0 && this.#due) {
      this.#cut();
      return;
    }
    const batch = this.#ready.shift();
    if (!batch) {
      for (const wake of this.#idleWaiters.splice(0)) wake();
      return;
    }
    this.#sending = true;
    let sent: Promise<void>;
    try {
      sent = this.#options.send(batch.map((entry) => entry.item));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent
      .then(
        () => {
          for (const entry of batch) entry.resolve();
        },
        (error: unknown) => {
          for (const entry of batch) entry.reject(error);
        },
      )
      .finally(() => {
        this.#sending = false;
        this.#pump();
      });
  }
}
