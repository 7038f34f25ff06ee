/**
 * Pagination of the endpoint's lists. The token is opaque to clients: the
 * sequence number of the last item returned plus the request's filters, so a
 * token cannot be replayed against another list or another filter.
 */
import { invalid } from "../errors.ts";

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface PageOptions {
  nextToken?: string;
  maxResults?: number;
  filter?: string;
  descending?: boolean;
}

export const DEFAULT_PAGE_SIZE = 50;

/** Pages through items already in their list order. */
export function paginate<T extends { seq: number }>(operation: string, items: T[], options: PageOptions): Page<T> {
  const size = options.maxResults ?? DEFAULT_PAGE_SIZE;
  let start = 0;
  if (options.nextToken !== undefined) {
    const after = decodeToken(options.nextToken, operation, options.filter ?? "");
    const index = items.findIndex((item) => (options.descending ? item.seq < after : item.seq > after));
    start = index === -1 ? items.length : index;
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  return {
    items: page,
    nextToken: more ? encodeToken(operation, page[page.length - 1].seq, options.filter ?? "") : undefined,
  };
}

/**
 * Pages through items whose sequence numbers are their positions (the first
 * is 1): as `paginate` would with `seq: i + 1` on each item, without making
 * those wrappers or searching for the token's place.
 */
export function pageByPosition<T>(operation: string, items: readonly T[], options: PageOptions): Page<T> {
  const size = options.maxResults ?? DEFAULT_PAGE_SIZE;
  let start = 0;
  if (options.nextToken !== undefined) {
    const after = decodeToken(options.nextToken, operation, options.filter ?? "");
    start = Math.min(Math.max(after, 0), items.length);
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  return {
    items: page,
    nextToken: more ? encodeToken(operation, start + page.length, options.filter ?? "") : undefined,
  };
}

function encodeToken(operation: string, seq: number, filter: string): string {
  return Buffer.from(JSON.stringify({ o: operation, s: seq, f: filter })).toString("base64url");
}

function decodeToken(token: string, operation: string, filter: string): number {
  try {
    const data = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (data?.o === operation && data?.f === filter && Number.isInteger(data?.s)) return data.s;
  } catch {
    // fall through
  }
  throw invalid("Next token is invalid.");
}
