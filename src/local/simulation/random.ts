/**
 * Seeded, order-independent random draws for the simulated fleet.
 *
 * Every draw is a pure function of a seed and the names it concerns (a
 * device, a job, an execution number), not of a shared generator's position:
 * the same seed and inputs give the same outcome whatever else the simulation
 * did before, so a run can be replayed exactly and a restart (or a lazy
 * catch-up with the wall clock) changes nothing.
 */

/** mulberry32: a small 32-bit generator; returns a function drawing uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the UTF-16 code units of a string, 32 bits. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One uniform draw in [0, 1) for a seed and the parts that name what is drawn. */
export function uniform(seed: number, ...parts: Array<string | number>): number {
  const mixed = (hashString(parts.join("\u0000")) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  const next = mulberry32(mixed);
  next(); // the first output of a fresh state is the least mixed: discard it
  return next();
}
