/**
 * A bounded in-process queue: at most `concurrency` items are processed at once and at most
 * `limit` wait. Recoveries continue after their answer has left, so nothing else would bound how
 * much work (lookups, SMTP connections, memory) a burst of answered requests leaves behind.
 */
export class BoundedQueue<T> {
  readonly #concurrency: number;
  readonly #limit: number;
  readonly #process: (item: T) => Promise<void>;
  readonly #waiting: T[] = [];
  readonly #running = new Set<Promise<void>>();
  #idle: (() => void)[] = [];

  constructor(concurrency: number, limit: number, process: (item: T) => Promise<void>) {
    this.#concurrency = concurrency;
    this.#limit = limit;
    this.#process = process;
  }

  /** Starts or queues the item; false (the item not taken) when the backlog is full. */
  offer(item: T): boolean {
    if (this.#running.size < this.#concurrency) this.#start(item);
    else if (this.#waiting.length < this.#limit) this.#waiting.push(item);
    else return false;
    return true;
  }

  /**
   * Waits until everything queued has been processed, or `timeoutMs` has passed; then returns the
   * items that had not started (no longer queued, so the caller settles them) once the running
   * ones have finished.
   */
  async drain(timeoutMs: number): Promise<T[]> {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<void>((resolve) => {
      if (this.#running.size === 0 && this.#waiting.length === 0) resolve();
      else this.#idle.push(resolve);
    });
    await Promise.race([idle, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    const left = this.#waiting.splice(0);
    await Promise.all(this.#running);
    return left;
  }

  #start(item: T): void {
    // `process` must not throw; a rejection is swallowed here only so the queue keeps moving.
    const task: Promise<void> = this.#process(item)
      .catch(() => {})
      .finally(() => {
        this.#running.delete(task);
        const next = this.#waiting.shift();
        if (next !== undefined) this.#start(next);
        else if (this.#running.size === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
    this.#running.add(task);
  }
}
