/**
 * The lease on S3 (./lease.ts has the mechanism): an object next to the
 * stage's state (`<prefix>.locks/<app>/<stage>`, outside the prefix the state
 * store lists, so Alchemy never sees it as a resource) holding its holder as
 * JSON: host, process, program, app, stage, since, lease, and a token.
 *
 * - **Acquire**: PutObject with `If-None-Match: *` (create-only). On 412 the
 *   object is read: its ETag, its Last-Modified (when its holder last wrote
 *   it, by the server's clock) and the response's `Date` (the server's clock
 *   now). The lease has expired when Date - Last-Modified exceeds the lease
 *   the holder recorded, plus 1 s because both headers count whole seconds;
 *   no local clock enters the decision. An expired lease is taken over with
 *   PutObject `If-Match: <its ETag>` (412: another contender was faster; look
 *   again). Without a `Date` header (a proxy that strips it), a lease counts
 *   as expired once it has been seen unchanged for the lease and 1 s more on
 *   this process's monotonic clock.
 * - **Renew**: PutObject `If-Match: <our ETag>`, with a renewal count in
 *   the body so that every write changes the ETag: a contender's takeover,
 *   conditional on the ETag it judged expired, fails if the holder renewed
 *   in between (with an unchanged body, a renewal landing late would leave
 *   the ETag as it was and both would think they hold the lock). 412 or 404:
 *   read the object; our token still there means it is ours (a renewal
 *   whose answer was lost), otherwise the lease is lost, naming who holds it now.
 * - **Release**: DeleteObject `If-Match: <our ETag>`: never another holder's.
 *   As the process exits, the same delete runs in a short child process
 *   (exit handlers cannot wait for a request), bounded to 5 s.
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import type { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { s3Sdk } from "../s3-sdk.ts";
import { parseHolder, sameHolder, seconds, type LeaseHolder } from "./holder.ts";
import { elapsedSince, now, type Attempt, type Grant, type LeaseBackend, type LockInfo, type Stamp } from "./lease.ts";

export interface S3LockLocation {
  client: S3Client;
  bucket: string;
  /** The lock object's key: s3LockKey(prefix, app, stage). */
  key: string;
}

/** The S3 backend's default lease, in seconds. */
export const S3_LEASE_SECONDS = 60;
/** How often a waiting process reads the lock again. */
const POLL_MS = 1_000;
/** How long the exit-time release may hold up the exit. */
const EXIT_RELEASE_MS = 5_000;

/** `<prefix>.locks/<app>/<stage>`: next to the stage's state (`<prefix><app>/<stage>/`), not inside it. */
export const s3LockKey = (prefix: string | undefined, app: string, stage: string): string =>
  `${prefix ?? "alchemy/"}.locks/${app}/${stage}`;

const status = (error: unknown): number | undefined =>
  error instanceof s3Sdk().S3ServiceException || (error as { $metadata?: unknown } | null)?.$metadata
    ? (error as S3ServiceException).$metadata?.httpStatusCode
    : undefined;
/** The condition did not hold (412), or a concurrent conditional write won (409 ConditionalRequestConflict). */
const conflict = (error: unknown) => status(error) === 412 || status(error) === 409;

interface Seen {
  holder: LeaseHolder | undefined;
  etag: string;
  lastModified: Date | undefined;
  /** The server's clock, from the response's Date header. */
  serverNow: Date | undefined;
}

export function s3Lock({ client, bucket, key }: S3LockLocation): LeaseBackend {
  const location = `s3://${bucket}/${key}`;
  /** The last takeover of this lock: who took it from whom. */
  const takeoverKey = `${key}.takeover`;
  /** Without a Date header: when this process first saw each version of the lock. */
  const firstSeen = new Map<string, Stamp>();

  const put = (body: string, condition: { IfNoneMatch: "*" } | { IfMatch: string }, signal?: AbortSignal) =>
    client.send(new (s3Sdk().PutObjectCommand)({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json", ...condition }), {
      abortSignal: signal,
    });

  /** The lock object, with the server's clock; undefined when there is none. */
  async function read(signal?: AbortSignal): Promise<Seen | undefined> {
    const command = new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: key });
    let date: string | undefined;
    command.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        date = (result.response as { headers?: Record<string, string> }).headers?.date;
        return result;
      },
      { step: "deserialize", name: "alchemyIotJobsServerDate" },
    );
    try {
      const out = await client.send(command, { abortSignal: signal });
      const serverNow = date ? new Date(date) : undefined;
      return {
        holder: parseHolder(await out.Body?.transformToString()),
        etag: out.ETag ?? "",
        lastModified: out.LastModified,
        serverNow: serverNow && Number.isFinite(serverNow.getTime()) ? serverNow : undefined,
      };
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
  }

  /** Has the lease `seen` shows expired, by the server's clock? */
  function judge(seen: Seen, fallbackLeaseMs: number): { expired: boolean; leaseMs: number; ageMs: number | undefined } {
    const leaseMs = (seen.holder?.leaseSeconds ?? fallbackLeaseMs / 1000) * 1000;
    if (seen.serverNow && seen.lastModified) {
      const ageMs = seen.serverNow.getTime() - seen.lastModified.getTime();
      // Both headers are whole seconds: an age read as N s may be N - 1 s and a little more.
      return { expired: ageMs - 1_000 >= leaseMs, leaseMs, ageMs };
    }
    const version = `${seen.etag} ${seen.lastModified?.getTime()}`;
    if (!firstSeen.has(version)) firstSeen.set(version, now());
    return { expired: elapsedSince(firstSeen.get(version)!) > leaseMs + 1_000, leaseMs, ageMs: undefined };
  }

  const expiredDetail = (seen: Seen, leaseMs: number, ageMs: number | undefined) =>
    ageMs === undefined
      ? `it was not renewed for ${seconds(leaseMs + 1_000)} while this process watched it (the server sends no Date header)`
      : `its lease (${seconds(leaseMs)}) expired at ${new Date(seen.lastModified!.getTime() + leaseMs).toISOString()} by the S3 server's clock, ` +
        `${seconds(ageMs - leaseMs)} ago (last renewed at ${seen.lastModified!.toISOString()})`;

  function grant(me: LeaseHolder, firstEtag: string, sent: Stamp): Grant {
    let etag = firstEtag;
    let renewals = 0;
    let exit: ExitRelease | undefined;
    const refreshExit = () =>
      void exitRelease(client, bucket, key).then(
        (e) => void (exit = e),
        () => {},
      );
    refreshExit();
    const g: Grant = {
      renewedAt: sent,
      async renew(signal) {
        const sentAt = now();
        try {
          const out = await put(JSON.stringify({ ...me, renewals: ++renewals }), { IfMatch: etag }, signal);
          if (out.ETag) etag = out.ETag;
          g.renewedAt = sentAt;
          refreshExit();
          return { kind: "renewed" };
        } catch (error) {
          if (!conflict(error) && status(error) !== 404) throw error;
          if (status(error) === 409) return { kind: "retry" };
        }
        const seen = await read(signal);
        if (seen && sameHolder(seen.holder, me)) {
          // Still ours under another ETag (a renewal whose answer was lost, with ETags that are not the body's MD5).
          etag = seen.etag;
          return { kind: "retry" };
        }
        return seen
          ? { kind: "lost", reason: "another process took it over", ...(seen.holder ? { holder: seen.holder } : {}) }
          : { kind: "lost", reason: `its lock object ${location} was removed (by \`alchemy-iot-jobs unlock --force\`?)` };
      },
      currentHolder: async () => (await read())?.holder,
      async takenOverBy() {
        const out = await client.send(new (s3Sdk().GetObjectCommand)({ Bucket: bucket, Key: takeoverKey })).catch(() => undefined);
        const record = JSON.parse((await out?.Body?.transformToString()) ?? "null") as { from?: LeaseHolder; by?: string } | null;
        return record?.from && sameHolder(record.from, me) ? parseHolder(record.by) : undefined;
      },
      async release() {
        for (let i = 0; i < 2; i++) {
          try {
            await client.send(new (s3Sdk().DeleteObjectCommand)({ Bucket: bucket, Key: key, IfMatch: etag }));
            return;
          } catch (error) {
            if (status(error) === 404) return;
            if (!conflict(error)) throw error;
          }
          const seen = await read();
          if (!seen || !sameHolder(seen.holder, me)) return; // Another holder's now: not ours to remove.
          etag = seen.etag;
        }
      },
      releaseSync() {
        if (exit) exit(etag);
      },
    };
    return g;
  }

  return {
    location,
    defaultLeaseSeconds: S3_LEASE_SECONDS,
    pollMs: POLL_MS,

    async attempt(me, leaseMs): Promise<Attempt> {
      const body = JSON.stringify(me);
      let sent = now();
      try {
        const out = await put(body, { IfNoneMatch: "*" });
        return { kind: "acquired", grant: grant(me, out.ETag ?? "", sent) };
      } catch (error) {
        if (!conflict(error)) throw explain(error, location);
      }
      const seen = await read();
      if (!seen) return { kind: "retry" }; // Released meanwhile.
      const { expired, leaseMs: theirs, ageMs } = judge(seen, leaseMs);
      if (!expired) return { kind: "held", holder: seen.holder };
      sent = now();
      try {
        const out = await put(body, { IfMatch: seen.etag });
        // Recorded beside the lock, so that the holder it was taken from, resumed later, can say who took it (even once released).
        await client
          .send(
            new (s3Sdk().PutObjectCommand)({
              Bucket: bucket,
              Key: takeoverKey,
              Body: JSON.stringify({ from: seen.holder, by: body, at: new Date().toISOString() }),
              ContentType: "application/json",
            }),
          )
          .catch(() => undefined);
        return {
          kind: "acquired",
          grant: grant(me, out.ETag ?? "", sent),
          tookOver: { previous: seen.holder, detail: expiredDetail(seen, theirs, ageMs) },
        };
      } catch (error) {
        if (conflict(error) || status(error) === 404) return { kind: "retry" }; // Another contender was faster, or it was released.
        throw explain(error, location);
      }
    },

    async inspect(): Promise<LockInfo | undefined> {
      const seen = await read();
      if (!seen) return undefined;
      const { expired, leaseMs, ageMs } = judge(seen, S3_LEASE_SECONDS * 1000);
      return {
        holder: seen.holder,
        version: seen.etag,
        expired,
        detail:
          (ageMs === undefined
            ? "last renewed at an unknown time (no Date header)"
            : `last renewed ${seconds(ageMs)} ago by the S3 server's clock`) +
          `; lease ${seconds(leaseMs)}${expired ? " (expired: the next deploy takes it over)" : ""}`,
      };
    },

    async breakLock(seen) {
      let etag = seen.version;
      for (let i = 0; i < 3; i++) {
        try {
          await client.send(new (s3Sdk().DeleteObjectCommand)({ Bucket: bucket, Key: key, IfMatch: etag }));
          return "broken";
        } catch (error) {
          if (status(error) === 404) return "broken";
          if (!conflict(error)) throw error;
        }
        // Renewed since (a new ETag): still the holder that was shown, or another one?
        const current = await read();
        if (!current) return "broken";
        if (!sameHolder(current.holder, seen.holder)) return "changed";
        etag = current.etag;
      }
      return "changed";
    },
  };
}

function explain(error: unknown, location: string): unknown {
  if (!(error instanceof Error)) return error;
  return Object.assign(new Error(`Could not take the lock ${location}: ${error.name}: ${error.message}`, { cause: error }), {
    name: error.name,
  });
}

/** Deletes the lock object if its ETag is still `etag`, synchronously. */
type ExitRelease = (etag: string) => void;

/** Runs in a child process as this one exits: the delete, with this client's settings. */
const EXIT_SCRIPT = `
const input = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
const { S3Client, DeleteObjectCommand } = require(input.sdk);
const client = new S3Client({ ...input.config, maxAttempts: 2 });
client.send(new DeleteObjectCommand({ Bucket: input.bucket, Key: input.key, IfMatch: input.etag })).then(
  () => process.exit(0),
  (error) => process.exit([404, 412].includes(error && error.$metadata && error.$metadata.httpStatusCode) ? 0 : 1),
);`;

/** What the exit-time delete needs, resolved now (an exit handler cannot wait for the client's providers). */
async function exitRelease(client: S3Client, bucket: string, key: string): Promise<ExitRelease> {
  const config = client.config as unknown as {
    region: () => Promise<string>;
    credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;
    endpoint?: () => Promise<{ protocol: string; hostname: string; port?: number; path: string }>;
    forcePathStyle?: boolean;
  };
  const credentials = await config.credentials();
  const endpoint = config.endpoint ? await config.endpoint() : undefined;
  const settings = {
    region: await config.region(),
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      sessionToken: credentials.sessionToken,
    },
    ...(endpoint
      ? { endpoint: `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ""}${endpoint.path}` }
      : {}),
    ...(config.forcePathStyle ? { forcePathStyle: true } : {}),
  };
  const sdk = createRequire(import.meta.url).resolve("@aws-sdk/client-s3");
  return (etag) => {
    // Credentials go through stdin, never the command line or the environment.
    spawnSync(process.execPath, ["-e", EXIT_SCRIPT], {
      input: JSON.stringify({ sdk, config: settings, bucket, key, etag }),
      stdio: ["pipe", "ignore", "ignore"],
      timeout: EXIT_RELEASE_MS,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
  };
}
