/**
 * The kinds this copy of the package defines, by type (`iot::Job`, ...):
 * what the engine, the preview and the tools ask about a kind they are handed
 * only the type of (its physical id's member, its noun, its label). Each kind
 * registers itself when it is defined (define.ts); the engine names none.
 */
import type { Kind } from "./contract.ts";

type AnyKind = Kind<any, any, any>;

const kinds = new Map<string, AnyKind>();

/** Makes a kind known (defineResource does it). */
export function registerKind(kind: AnyKind): void {
  kinds.set(kind.type, kind);
}

/** The kind of a type, if this copy defines it. */
export const kindOf = (type: string): AnyKind | undefined => kinds.get(type);

/** Every kind defined. */
export const allKinds = (): AnyKind[] => [...kinds.values()];
