/**
 * How the routes test's scenario (test/support/model-scenario.ts and
 * test/support/model-errors.ts) calls the local endpoint: each command goes
 * through the real `@aws-sdk/client-iot` client, and its outcome is recorded:
 * the raw HTTP exchanges captured below the SDK's deserializer
 * (test/support/model-capture.ts), the calls the endpoint recorded for it
 * (stats().calls), and the error the SDK threw, if any.
 */
import type { IoTClient } from "@aws-sdk/client-iot";
import type { LocalIoT } from "../../src/local/index.ts";
import type { Exchange } from "./model-capture.ts";

/** Any of the client's commands (the SDK types each command on its own). */
export interface AnyCommand {
  readonly input: object;
}

export interface Outcome {
  label: string;
  /** The operation the command is for. */
  operation: string;
  expected: "success" | "error";
  /** Part of the fault pass (throttling or an injected 5xx). */
  fault: boolean;
  /** The exchanges this call made (one: the client does not retry). */
  exchanges: Exchange[];
  /** The calls the endpoint recorded for it (stats().calls). */
  endpointCalls: Array<{ operation: string; status: number; error?: string }>;
  error?: { name: string; status?: number; message: string };
}

/** The job document of the scenario's jobs and job templates. */
export const DOC = JSON.stringify({ operation: "reboot" });

/** Sends the scenario's commands and records their outcomes. */
export interface CallRecorder {
  readonly local: LocalIoT;
  /** The outcome of every call sent, in order. */
  readonly outcomes: Outcome[];
  /** The first successful command of each operation, re-sent by the fault pass. */
  readonly firstSuccess: Map<string, AnyCommand>;
  /** Sends a command and records its outcome; `fault` marks the calls of the fault pass. */
  send(label: string, command: AnyCommand, expected: Outcome["expected"], fault?: boolean): Promise<void>;
  /** Sends a command that must succeed. */
  ok(label: string, command: AnyCommand): Promise<void>;
  /** Sends a command that must fail (a deliberate error case). */
  fails(label: string, command: AnyCommand): Promise<void>;
  /** The ARN of a resource of the endpoint's account and region ("thing/rt-1"). */
  arn(resource: string): string;
}

const operationOf = (command: AnyCommand) => command.constructor.name.replace(/Command$/, "");

/**
 * Records the outcomes of calls sent through `iot` to `local`; `exchanges` is
 * the (growing) list of the client's captured exchanges.
 */
export function callRecorder(local: LocalIoT, iot: IoTClient, exchanges: Exchange[]): CallRecorder {
  const outcomes: Outcome[] = [];
  const firstSuccess = new Map<string, AnyCommand>();

  async function send(label: string, command: AnyCommand, expected: Outcome["expected"], fault = false): Promise<void> {
    const exchangesBefore = exchanges.length;
    const callsBefore = local.stats().calls.length;
    let error: Outcome["error"];
    try {
      await iot.send(command as Parameters<IoTClient["send"]>[0]);
    } catch (e) {
      const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
      error = { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
    }
    const operation = operationOf(command);
    outcomes.push({
      label,
      operation,
      expected,
      fault,
      exchanges: exchanges.slice(exchangesBefore),
      endpointCalls: local.stats().calls.slice(callsBefore),
      error,
    });
    if (!error && !fault && !firstSuccess.has(operation)) firstSuccess.set(operation, command);
  }

  const ok = (label: string, command: AnyCommand) => send(label, command, "success");
  const fails = (label: string, command: AnyCommand) => send(label, command, "error");
  const arn = (resource: string) => `arn:aws:iot:${local.region}:${local.accountId}:${resource}`;

  return { local, outcomes, firstSuccess, send, ok, fails, arn };
}
