/** Prop paths, as messages show them (`abortConfig.criteriaList[0].action`), and one problem with a prop. */

/** One problem with a prop. */
export interface ValidationIssue {
  /** Prop path, e.g. `abortConfig.criteriaList[0].action`. */
  path: string;
  /** The whole line: path, value and rule. */
  message: string;
}

export type PathPart = string | number;

export function formatPath(parts: readonly PathPart[]): string {
  let out = "";
  for (const p of parts) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}
