/**
 * A deploy's resources start their work a few at a time, in the order the
 * program declared them.
 *
 * A program that declares 100 jobs at once (`Promise.all`) starts 100
 * applies at once. Each one reads and writes its state, settles its key
 * order and plans its calls, and every step of one waits behind the same
 * step of all the others: the first job sent its first request only once
 * all 100 were ready, about half a second later, and IoT's rate (10 a
 * second) then paced the rest anyway. Admitted a few at a time, the first
 * resources send while the next ones get ready, so the preparation of the
 * later ones overlaps the pacing of the earlier ones.
 *
 * A resource to create queues in the stage's init hook, after the stage's
 * lease and whole-program check (src/runtime/stage.ts); one whose state
 * records it as deployed does not (Alchemy may find nothing to do, and a
 * no-op deploy of many resources on a remote state store would only wait).
 * A resource holds its place from its admission until it sends its first
 * request (src/provider/engine/performed.ts), its apply ends (it failed) or
 * it has held it for `HOLD_MS`: the next one is then admitted anyway, so a
 * resource that waits for something else (a slow state store, another
 * resource) never holds back the others for longer than that.
 *
 * Only deploys queue: a preview or a rehearsal sends nothing, and a destroy
 * runs no apply. The queue is process-wide (on `globalThis`), so every copy of
 * the package loaded in the process shares it.
 */
import { currentMode } from "./registry.ts";

/** Resources preparing at once. */
export const ADMITTED_AT_ONCE = 4;
/** A resource that has not sent its first request after this long lets the next one in anyway. */
export const HOLD_MS = 50;

/** One resource's place in the queue. */
export class Ticket {
  /** The resource's address (its FQN) and its id in its scope. */
  readonly address: string;
  readonly id: string;
  private state: "new" | "waiting" | "admitted" | "released" = "new";
  private admit?: () => void;
  private timer?: NodeJS.Timeout;
  private readonly queue: Queue;

  constructor(queue: Queue, address: string, id: string) {
    this.queue = queue;
    this.address = address;
    this.id = id;
  }

  /** Resolves when the resource may start (at once when it was released already). */
  admitted(): Promise<void> {
    if (this.state !== "new") return Promise.resolve();
    this.state = "waiting";
    return new Promise((resolve) => {
      this.admit = resolve;
      this.queue.enqueue(this);
    });
  }

  /** Called by the queue: the resource starts; its place frees itself after HOLD_MS. */
  start(): void {
    this.state = "admitted";
    this.timer = setTimeout(() => this.leave(), HOLD_MS);
    this.timer.unref();
    this.admit?.();
  }

  /** The resource sent its first request, or its apply ended: its place goes to the next one. */
  release(): void {
    const was = this.state;
    this.state = "released";
    if (was === "admitted") this.leave();
    else if (was === "waiting") {
      this.queue.drop(this);
      this.admit?.();
    }
    this.queue.forget(this);
  }

  private leave(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.vacate();
  }
}

class Queue {
  private readonly waiting: Ticket[] = [];
  private head = 0;
  private active = 0;
  /** Tickets not released yet, by address: a resource's first request releases its own. */
  readonly byAddress = new Map<string, Ticket>();
  /** The ticket of the resource whose apply Alchemy is starting (see `handOver`). */
  handed: Ticket | undefined;

  enqueue(ticket: Ticket): void {
    this.waiting.push(ticket);
    this.next();
  }

  drop(ticket: Ticket): void {
    const i = this.waiting.indexOf(ticket, this.head);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  forget(ticket: Ticket): void {
    if (this.byAddress.get(ticket.address) === ticket) this.byAddress.delete(ticket.address);
  }

  vacate(): void {
    this.active--;
    this.next();
  }

  private next(): void {
    while (this.active < ADMITTED_AT_ONCE && this.head < this.waiting.length) {
      const ticket = this.waiting[this.head++];
      this.active++;
      ticket.start();
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    }
  }
}

const KEY = Symbol.for("alchemy-iot-jobs.admission.v1");
const g = globalThis as Record<PropertyKey, unknown>;
const queue = (g[KEY] ??= new Queue()) as Queue;

/**
 * Runs `start` (the call of Alchemy's resource function) with a ticket for
 * resource `id` at `address` handed over to the stage's `init` hook, which
 * Alchemy calls synchronously as the apply starts (`takeHandedOver`), and
 * returns what it returns: the apply, at whose end the ticket is released.
 * Nothing queues outside a deploy (a preview, a rehearsal).
 */
export function handOver<T>(address: string, id: string, start: () => Promise<T>): Promise<T> {
  if (currentMode()) return start();
  const ticket = new Ticket(queue, address, id);
  queue.byAddress.get(address)?.release();
  queue.byAddress.set(address, ticket);
  queue.handed = ticket;
  let apply: Promise<T>;
  try {
    apply = start();
  } finally {
    queue.handed = undefined;
  }
  const release = () => ticket.release();
  void apply.then(release, release);
  return apply;
}

/** The ticket of the apply that is starting, once (the stage's init hook takes it before its first await). */
export function takeHandedOver(): Ticket | undefined {
  const ticket = queue.handed;
  queue.handed = undefined;
  return ticket;
}

/** The resource at `address` sends a request: its place goes to the next one. */
export function sending(address: string | undefined): void {
  if (address !== undefined) queue.byAddress.get(address)?.release();
}
