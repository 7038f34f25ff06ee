/**
 * A data file that is not even a JSON object (issue 24): empty, white space,
 * random bytes, text that is not JSON, `null`, an array, a number. Start-up
 * stops with a PersistenceError that says exactly what the file holds and
 * names it, never quoting it (it holds documents, secrets included); the file
 * is kept byte for byte, and no lock or temporary file is left.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { PersistenceError, startLocalIoT } from "../../src/local/index.ts";

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-iot-not-object-"));
  file = path.join(dir, "state", "iot.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function refused(): Promise<Error> {
  const before = fs.readFileSync(file);
  const error = await startLocalIoT({ persistPath: file }).then(
    async (local) => {
      await local.stop();
      throw new Error("the endpoint started");
    },
    (e: Error) => e,
  );
  expect(error).toBeInstanceOf(PersistenceError);
  expect(fs.readFileSync(file).equals(before)).toBe(true);
  return error;
}

// Each said as what it is, naming the file, never quoting it; the file kept byte for byte, no lock left.
const NOT_AN_OBJECT: Array<[string, string | Buffer, string]> = [
  ["an empty file", "", "is empty (0 bytes)"],
  ["a file of white space", " \n\t\n", "holds nothing but white space"],
  [
    "random bytes",
    Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xd8, 0xc3, 0x28, 0x00, 0x9c]),
    "is not text: its 10 bytes are not UTF-8 (binary data, or a damaged file)",
  ],
  ["text with control characters", "\u0001\u0002abc\u0000", "is not text: it holds control characters (binary data, or a damaged file)"],
  ["text that is not JSON", "password=hunter2", "is not valid JSON (an unexpected character)"],
  [
    "a JSON array",
    "[1, 2]",
    'holds a JSON array, not the endpoint\'s data (a JSON object whose "format" is "alchemy-iot-jobs/local-endpoint")',
  ],
  ["null", "null", 'holds null, not the endpoint\'s data (a JSON object whose "format" is "alchemy-iot-jobs/local-endpoint")'],
  ["a number", "42", 'holds a number, not the endpoint\'s data (a JSON object whose "format" is "alchemy-iot-jobs/local-endpoint")'],
];
for (const [what, bytes, says] of NOT_AN_OBJECT) {
  test(`${what}: "${says}"`, async () => {
    fs.writeFileSync(file, bytes);
    const error = await refused();
    expect(error.message).toBe(
      `The local IoT endpoint's data file ${file} ${says}. ` +
        "Nothing was read or written: the file is kept as it is. Restore it from a backup, or move it away to start with empty data.",
    );
    expect(error.message).not.toContain("hunter2");
    // The lock was released: the file is refused again (not "locked by"), and nothing else was left beside it.
    expect((await refused()).message).toContain("kept as it is");
    expect(fs.readdirSync(path.dirname(file))).toEqual(["iot.json"]);
  });
}
