/**
 * Fencing: a process that holds a stage's lease (src/runtime/lock) checks it
 * before every write that could act on what the lease protects: each state
 * write and each mutating IoT call. A holder that has lost its lease (paused
 * past its expiry, cut off from the lock's store while another process took
 * it over) writes nothing more: the check throws LeaseLostError, which names
 * the new holder.
 *
 * Fences live in the process-wide registry, so every copy of the package in
 * the process honours them.
 */
import { registry } from "./registry.ts";

/** A write refused because this process no longer holds the lease that protects it. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** One held lease, as the writes see it. */
export interface Fence {
  /** Throws LeaseLostError when the lease is lost, or may be (it could not be renewed in time). */
  check(what: string): void;
}

/** Makes every later write check `fence` (until it is removed). */
export function addFence(fence: Fence): void {
  registry().fences.add(fence);
}

export function removeFence(fence: Fence): void {
  registry().fences.delete(fence);
}

/** Throws LeaseLostError when a lease this process holds is lost: call it right before a write. */
export function assertMayWrite(what: string): void {
  for (const fence of registry().fences) fence.check(what);
}
