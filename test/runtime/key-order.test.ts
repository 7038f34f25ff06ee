/**
 * Props take their recorded key order (src/runtime/key-order.ts): only the
 * order of plain objects' keys changes, never a value or an array's order.
 */
import alchemy from "alchemy";
import { describe, expect, test } from "vitest";
import { inRecordedOrder } from "../../src/runtime/key-order.ts";

describe("inRecordedOrder", () => {
  test("takes the recorded order at every depth, arrays included, and keeps every value", () => {
    const recorded = { a: 1, doc: { op: "x", steps: [{ name: "s", args: { x: 1, y: 2 } }] }, tags: { t: "1", c: "2" } };
    const value = { tags: { c: "2", t: "1" }, doc: { steps: [{ args: { y: 2, x: 1 }, name: "s" }], op: "x" }, a: 1 };
    const ordered = inRecordedOrder(value, recorded);
    expect(JSON.stringify(ordered)).toBe(JSON.stringify(recorded));
    expect(ordered).toEqual(value);
    // The given objects are not touched.
    expect(Object.keys(value)).toEqual(["tags", "doc", "a"]);
  });

  test("new keys come after the recorded ones; removed ones are gone; changed values stay changed", () => {
    const ordered = inRecordedOrder({ c: 3, b: 20, x: 9 }, { a: 1, b: 2, c: 3 });
    expect(JSON.stringify(ordered)).toBe(JSON.stringify({ b: 20, c: 3, x: 9 }));
  });

  test("the very same object when nothing moves", () => {
    const value = { a: 1, doc: { op: "x" }, list: [1, { k: 1 }] };
    expect(inRecordedOrder(value, { a: 1, doc: { op: "y" }, list: [2, { k: 2 }] })).toBe(value);
    expect(inRecordedOrder(value, undefined)).toBe(value);
  });

  test("an array's order is never changed, nor anything that is not a plain object (a secret, a date)", () => {
    expect(inRecordedOrder([3, 1, 2], [1, 2, 3])).toEqual([3, 1, 2]);
    const secret = alchemy.secret("s");
    const when = new Date(0);
    const value = { when, secret, b: 1, a: 2 };
    const ordered = inRecordedOrder(value, { a: 0, b: 0, secret: alchemy.secret("t"), when: new Date(1) });
    expect(Object.keys(ordered)).toEqual(["a", "b", "secret", "when"]);
    expect(ordered.secret).toBe(secret);
    expect(ordered.when).toBe(when);
  });

  test("symbol-keyed members (Alchemy's resource metadata) are kept", () => {
    const id = Symbol.for("alchemy::ResourceID");
    const value = { b: 1, a: 2, [id]: "r" };
    const ordered = inRecordedOrder(value, { a: 0, b: 0 });
    expect(Object.keys(ordered)).toEqual(["a", "b"]);
    expect(ordered[id]).toBe("r");
  });
});
