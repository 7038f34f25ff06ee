/** A counting semaphore, for bounding how many operations (or deletions) run at once. */

/** A counting semaphore: callers queue for one of `size` slots. */
export class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  readonly size: number;
  constructor(size: number) {
    this.size = size;
  }

  async acquire(): Promise<() => void> {
    if (this.active < this.size) this.active++;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    };
  }

  get inUse(): number {
    return this.active;
  }
}
