/**
 * Compile-time checks that hold two lists of the same things together, so
 * that adding a member to one and not the other fails `tsc`:
 *
 *   type _PropsAreTheTable = Holds<SameKeys<Members<JobProps>, keyof typeof ROWS>>;
 *
 * (An unused type alias named `_...` is allowed by the lint rules.)
 */

/** Compiles only when `T` is `true`. */
export type Holds<T extends true> = T;

/** `true` when each of `A` and `B` is assignable to the other. */
export type Interchangeable<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** `true` when the unions `A` and `B` have the same members (a missing or extra key names itself in the error). */
export type Same<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never]
  ? true
  : { onlyInFirst: Exclude<A, B>; onlyInSecond: Exclude<B, A> };
