/**
 * `alchemy-iot-jobs unlock`: shows who holds a stage's lock and, with
 * --force, breaks it on purpose (as `terraform force-unlock` does). The
 * holder, if it still runs, finds its lease lost at its next renewal and
 * stops without another change.
 */
import fs from "node:fs";
import path from "node:path";
import { parseOptions, type Command } from "./args.ts";
import { holderDetails } from "../runtime/lock/holder.ts";
import { fileLock } from "../runtime/lock/file.ts";
import type { LeaseBackend } from "../runtime/lock/lease.ts";

const usage = `Usage: alchemy-iot-jobs unlock --stage <stage> [--app <app>] [--root <dir>] [--force]
       alchemy-iot-jobs unlock --stage <stage> --app <app> --bucket <bucket> [--prefix <prefix>] [--region <region>] [--force]

Shows who holds the lock of a stage (host, process, program, stage, since
when, and whether its lease is live), and breaks it with --force. A deploy or
destroy takes this lock for its whole run and a crashed one's lock is taken
over once its lease expires, so breaking it is for a holder that is stuck but
still renewing; a holder that still runs finds its lease lost at its next
renewal and stops without another change.

Where the lock is:
  files (default)  <root>/.alchemy/.locks/<app>/<stage>
  S3 (--bucket)    s3://<bucket>/<prefix>.locks/<app>/<stage>

Options:
  --stage <stage>     The stage                                               [required]
  --app <app>         The app. Files: found under --root when only one app has a
                      lock on the stage. S3: required
  --root <dir>        The directory holding .alchemy                         [default: the current directory]
  --bucket <bucket>   The S3 bucket of the stage's state: the lock is on S3
  --prefix <prefix>   The state store's key prefix                           [default: alchemy/]
  --region <region>   The bucket's region                                    [default: AWS_REGION, AWS's configuration]
  --force             Break the lock (without it, only shows the holder)

Exit status: 0 when the lock was broken or none was held; 1 when it is still
held (no --force, or it changed hands meanwhile) or on an error.`;

class UsageError extends Error {}

export const unlockCommand: Command = {
  summary: "Show who holds a stage's lock, and break it with --force.",
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, {
      stage: { type: "string" },
      app: { type: "string" },
      root: { type: "string" },
      bucket: { type: "string" },
      prefix: { type: "string" },
      region: { type: "string" },
      force: { type: "boolean" },
    });
    let where: { backend: LeaseBackend; app: string } | undefined;
    try {
      if (!values.stage) throw new UsageError("--stage is required: the stage whose lock to show or break.");
      if (!values.bucket && (values.prefix !== undefined || values.region !== undefined))
        throw new UsageError("--prefix and --region need --bucket.");
      if (values.bucket && values.root !== undefined) throw new UsageError("--root is for the file lock; with --bucket the lock is on S3.");
      where = values.bucket
        ? await s3Where(values.bucket, values.stage, values)
        : fileWhere(values.root ?? process.cwd(), values.stage, values.app);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      console.error(`${error.message}\n\n${usage}`);
      return 1;
    }
    const stage = `stage "${values.stage}"${where ? ` of app "${where.app}"` : ""}`;
    if (!where) {
      console.log(`No lock is held on ${stage} under ${path.join(values.root ?? process.cwd(), ".alchemy", ".locks")}.`);
      return 0;
    }
    const { backend } = where;
    const seen = await backend.inspect();
    if (!seen) {
      console.log(`No lock is held on ${stage} (${backend.location}).`);
      return 0;
    }
    console.log(
      [`The lock on ${stage} (${backend.location}) is held by:`, ...holderDetails(seen.holder), `  lease:   ${seen.detail}`].join("\n"),
    );
    if (!values.force) {
      console.log(
        "\nNothing was changed. Breaking it lets another deploy start while this holder may still be changing the stage; " +
          "make sure it has stopped, then add --force to break it.",
      );
      return 1;
    }
    if ((await backend.breakLock(seen)) === "changed") {
      const now = await backend.inspect();
      console.log(
        `\nThe lock changed hands meanwhile${now ? "; now:\n" + holderDetails(now.holder).join("\n") : ""}\nNothing was broken: run the command again to see the holder.`,
      );
      return 1;
    }
    console.log(
      `\nBroke the lock on ${stage}.` +
        (seen.expired ? "" : " If its holder still runs, it finds its lease lost at its next renewal and stops without another change."),
    );
    return 0;
  },
};

/** The file lock of the stage; the app found under the root when only one has a lock on the stage. Undefined: none held. */
function fileWhere(root: string, stage: string, app: string | undefined): { backend: LeaseBackend; app: string } | undefined {
  const locks = path.join(root, ".alchemy", ".locks");
  if (app) return { backend: fileLock(path.join(locks, app, stage)), app };
  let apps: string[];
  try {
    apps = fs
      .readdirSync(locks, { withFileTypes: true })
      .filter((e) => e.isDirectory() && fs.existsSync(path.join(locks, e.name, `${stage}.lock`)))
      .map((e) => e.name);
  } catch {
    apps = [];
  }
  if (apps.length === 0) return undefined;
  if (apps.length > 1)
    throw new UsageError(`Stage "${stage}" is locked for more than one app under ${locks} (${apps.join(", ")}): choose one with --app.`);
  return { backend: fileLock(path.join(locks, apps[0], stage)), app: apps[0] };
}

async function s3Where(
  bucket: string,
  stage: string,
  values: { app?: string; prefix?: string; region?: string },
): Promise<{ backend: LeaseBackend; app: string }> {
  if (!values.app) throw new UsageError("--app is required with --bucket: the app whose stage lock to show or break.");
  // Loaded only here: the S3 client is needed only for a lock on S3. The state store's client: the same
  // endpoint (AWS_ENDPOINT_URL_S3, addressed by path), retries and timeouts as the deploy that holds the lock.
  const [{ sharedClient }, { s3Lock, s3LockKey }] = await Promise.all([
    import("../runtime/state/s3-client.ts"),
    import("../runtime/lock/s3.ts"),
  ]);
  return {
    backend: s3Lock({ client: sharedClient(values.region), bucket, key: s3LockKey(values.prefix, values.app, stage) }),
    app: values.app,
  };
}
