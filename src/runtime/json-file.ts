/**
 * What is wrong with a file that should hold one JSON object: an Alchemy
 * state file or S3 object, the local endpoint's data file. Each problem is
 * said as what the file holds (empty, not text, not JSON, null, an array...),
 * never by quoting it: these files hold job documents and secrets, and
 * V8's parser messages quote their input ("Unexpected token 'h', "hello..."
 * is not valid JSON"), so that part is left out.
 */
import fs from "node:fs";

/** A file's bytes read as JSON: the value, or what is wrong (a phrase that follows the file's name: "is empty (0 bytes)"). */
export type JsonRead = { ok: true; value: unknown } | { ok: false; problem: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The parser's message without the excerpt of the input it quotes. */
function parserMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/^Unexpected token /.test(message) && / is not valid JSON$/.test(message)) return "an unexpected character";
  if (message === "Unexpected end of JSON input") return "it ends before its data does, as a file cut short does";
  return message.replace(/, "[\s\S]*" is not valid JSON$/, "");
}

/** Parses the bytes of a file meant to hold JSON. */
export function parseJsonBytes(bytes: Uint8Array | string): JsonRead {
  let text: string;
  if (typeof bytes === "string") text = bytes;
  else {
    if (bytes.length === 0) return { ok: false, problem: "is empty (0 bytes)" };
    try {
      text = utf8.decode(bytes);
    } catch {
      return { ok: false, problem: `is not text: its ${bytes.length} bytes are not UTF-8 (binary data, or a damaged file)` };
    }
  }
  if (text.length === 0) return { ok: false, problem: "is empty (0 bytes)" };
  if (text.trim() === "") return { ok: false, problem: "holds nothing but white space" };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000e-\u001f]/.test(text)) {
    return { ok: false, problem: "is not text: it holds control characters (binary data, or a damaged file)" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: `is not valid JSON (${parserMessage(error)})` };
  }
}

/** What a JSON value is, never what it says: "null", "a JSON array", "a string"... */
export function jsonKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a JSON array";
  if (typeof value === "object") return "a JSON object";
  if (typeof value === "boolean") return String(value);
  return `a ${typeof value}`;
}

/** Is it a JSON object (not null, not an array)? */
export const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * What is wrong with a file that should hold one JSON object, or undefined
 * when it does (or does not exist, or cannot be opened: its reader says so).
 */
export function jsonObjectFileProblem(file: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const read = parseJsonBytes(bytes);
  if (!read.ok) return read.problem;
  return isJsonObject(read.value) ? undefined : `holds ${jsonKind(read.value)}, not a JSON object`;
}
