/**
 * The local endpoint's data file read as a whole, before its format, version
 * and shape are checked (store.ts, data-file.ts): a file that is empty, not
 * text, not JSON, or JSON that is not an object (`null`, an array) is refused
 * saying exactly that, naming the file and never quoting it (it holds job
 * documents, secrets included). Nothing is read into the endpoint and nothing
 * is written: the file is kept byte for byte, as for any file it refuses.
 */
import { jsonObjectFileProblem } from "../../runtime/json-file.ts";
import { FILE_FORMAT } from "./data-file.ts";
import { PersistenceError } from "./store.ts";

/** The refusal of a data file that `problem` describes ("is empty (0 bytes)"). */
export function dataFileRefusal(file: string, problem: string): PersistenceError {
  return new PersistenceError(
    `The local IoT endpoint's data file ${file} ${problem}. ` +
      "Nothing was read or written: the file is kept as it is. Restore it from a backup, or move it away to start with empty data.",
  );
}

/**
 * Throws a PersistenceError when the data file exists and is not a JSON
 * object. A file that does not exist, or cannot be opened, is left to the
 * reader (store.ts), which says so.
 */
export function refuseUnreadableDataFile(file: string): void {
  const problem = jsonObjectFileProblem(file);
  if (!problem) return;
  const not = problem.replace(/, not a JSON object$/, `, not the endpoint's data (a JSON object whose "format" is "${FILE_FORMAT}")`);
  throw dataFileRefusal(file, not);
}
