/** `alchemy-iot-jobs local`: serve the local IoT Jobs endpoint until stopped. */
import { parseOptions, type Command } from "./args.ts";
import { startLocalIoT, type FaultOptions } from "../local/server.ts";

export const DEFAULT_PORT = 4580;

const usage = `Usage: alchemy-iot-jobs local [options]

Options:
  --port <n>               Port to listen on (0 picks a free one)   [default: ${DEFAULT_PORT}]
  --host <address>         Interface to bind                        [default: 127.0.0.1]
  --region <region>        Region in ARNs and signatures            [default: us-east-1]
  --account-id <id>        Account id in ARNs                       [default: 123456789012]
  --persist <file>         Keep the endpoint's data in this file across restarts
  --deletion-delay <ms>    How long deleted jobs stay DELETION_IN_PROGRESS [default: 250]
  --throttle <tps>         Throttle every operation at this many requests per second
  --error-rate <0-1>       Answer this fraction of requests with a 500/503 error
  --latency <ms>           Add this much latency to every request
  --drop-rate <0-1>        Drop this fraction of connections without answering
  --seed <n>               Seed of the fault generator              [default: 1]
  --access-key-id <id>     The key pair requests must be signed with (give both, e.g. to share
  --secret-access-key <k>  one with another local server)           [default: a fixed test pair]
  --quiet                  Do not log requests`;

function number(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got "${value}"`);
  return n;
}

export const localCommand: Command = {
  summary: "Serve the local IoT Jobs endpoint (an emulator of the AWS IoT Jobs control plane).",
  usage,
  async run(argv) {
    const { values } = parseOptions(argv, {
      port: { type: "string" },
      host: { type: "string" },
      region: { type: "string" },
      "account-id": { type: "string" },
      persist: { type: "string" },
      "deletion-delay": { type: "string" },
      throttle: { type: "string" },
      "error-rate": { type: "string" },
      latency: { type: "string" },
      "drop-rate": { type: "string" },
      seed: { type: "string" },
      "access-key-id": { type: "string" },
      "secret-access-key": { type: "string" },
      quiet: { type: "boolean" },
    });
    const keyId = values["access-key-id"];
    const secret = values["secret-access-key"];
    if ((keyId === undefined) !== (secret === undefined)) {
      console.error(`--access-key-id and --secret-access-key go together: give both, or neither.\n\n${usage}`);
      return 1;
    }
    const faults: FaultOptions = {
      throttle: number("throttle", values.throttle),
      errorRate: number("error-rate", values["error-rate"]),
      latencyMs: number("latency", values.latency),
      dropRate: number("drop-rate", values["drop-rate"]),
      seed: number("seed", values.seed),
    };
    const local = await startLocalIoT({
      port: number("port", values.port) ?? DEFAULT_PORT,
      host: values.host,
      region: values.region,
      accountId: values["account-id"],
      persistPath: values.persist,
      // A server is not a deploy: another process that owns the file is a reason to refuse, not to wait.
      lockTimeoutMs: 0,
      deletionDelayMs: number("deletion-delay", values["deletion-delay"]),
      faults,
      ...(keyId !== undefined && secret !== undefined ? { credentials: { accessKeyId: keyId, secretAccessKey: secret } } : {}),
      log: values.quiet ? undefined : (line) => console.log(line),
    });
    const { accessKeyId, secretAccessKey } = local.credentials;
    console.log(
      [
        `Local IoT Jobs endpoint listening on ${local.endpoint}`,
        `  region ${local.region}, account ${local.accountId}${values.persist ? `, data in ${values.persist}` : ", data in memory"}`,
        `  sign requests with AWS_ACCESS_KEY_ID=${accessKeyId} AWS_SECRET_ACCESS_KEY=${secretAccessKey}`,
        `  e.g. aws iot list-job-templates --endpoint-url ${local.endpoint} --region ${local.region}`,
        "Press Ctrl+C to stop.",
      ].join("\n"),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await local.stop();
    console.log("Stopped.");
    return 0;
  },
};
