/**
 * Resource ids (thingId, thingGroupId, ...): random version 4 UUIDs, as
 * crypto.randomUUID makes them, but built as flat one-byte strings.
 * randomUUID's strings are concatenations (a tree of string pieces, about
 * 400 bytes each); a thing record keeps its id for its whole life, so a
 * million simulated devices would spend 400 MB on them instead of 60.
 */
import { randomFillSync } from "node:crypto";

const BATCH = 256;
const random = Buffer.alloc(16 * BATCH);
let used = BATCH;
const text = Buffer.alloc(36);
const HEX = Buffer.from("0123456789abcdef", "latin1");
/** Where each of the 16 bytes goes in `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`. */
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

export function newUuid(): string {
  if (used === BATCH) {
    randomFillSync(random);
    used = 0;
  }
  const offset = 16 * used++;
  for (let i = 0; i < 16; i++) {
    let byte = random[offset + i];
    if (i === 6) byte = (byte & 0x0f) | 0x40; // version 4
    if (i === 8) byte = (byte & 0x3f) | 0x80; // RFC 4122 variant
    text[AT[i]] = HEX[byte >> 4];
    text[AT[i] + 1] = HEX[byte & 0x0f];
  }
  text[8] = text[13] = text[18] = text[23] = 0x2d; // "-"
  return text.toString("latin1");
}
