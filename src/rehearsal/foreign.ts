/**
 * Resources of other providers in a rehearsed program (an IAM Role from
 * alchemy/aws, a File from alchemy/fs, ...): a rehearsal runs only this
 * package's resources, on its own endpoint. Others are not run (nothing is
 * sent to AWS, nothing is written to the project) and are listed in the
 * report as not rehearsed.
 *
 * Their outputs do not exist, so whatever the program reads from one (a
 * role's `arn`) is a placeholder: a value of the form the name suggests,
 * recognisable by its text (`rehearsal-placeholder`), and the report says
 * which prop of which resource of this package got one.
 */

/** What Alchemy hands a handler (the part used here). */
interface ForeignContext {
  phase: "create" | "update" | "delete";
  id: string;
  fqn: string;
  destroy(): never;
}

/** A resource the rehearsal did not run. */
export interface NotRehearsed {
  address: string;
  type: string;
}

/** Where a placeholder came from. */
interface Origin {
  type: string;
  id: string;
  address: string;
  key: string;
}

/** Marks a handler's output as a placeholder output (Alchemy copies own symbol keys into the output it returns). */
const FOREIGN = Symbol("alchemy-iot-jobs.rehearsal.foreign");

export const PLACEHOLDER_TEXT = "rehearsal-placeholder";

const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]/g, "-");

/** A placeholder of the form the key suggests: an ARN for `...arn`/`...Arn`, else a plain string. */
export function placeholderValue(type: string, id: string, key: string): string {
  if (/arn$/i.test(key)) {
    const service = type.split("::")[0].toLowerCase() || "unknown";
    // IAM ARNs name no region; an IAM role ARN is what IoT's roleArn members take.
    return service === "iam"
      ? `arn:aws:iam::000000000000:role/${PLACEHOLDER_TEXT}-${safe(id)}`
      : `arn:aws:${safe(service)}:us-east-1:000000000000:${PLACEHOLDER_TEXT}/${safe(id)}`;
  }
  return `${PLACEHOLDER_TEXT}-${safe(id)}-${safe(key)}`;
}

/** Keys whose lookups keep their ordinary meaning (await, JSON, inspection), never a placeholder. */
const ORDINARY = new Set(["then", "toJSON", "inspect", "asymmetricMatch", "$$typeof", "nodeType"]);

export interface ForeignResources {
  /** The provider a rehearsal gives Alchemy for a kind of another provider. */
  provider(
    kind: string,
    options: unknown,
  ): { type: string; options: unknown; handler: (this: ForeignContext, id: string, props: unknown) => Promise<unknown> };
  /**
   * Called with every state a rehearsal's store writes: the output of a
   * resource not run answers whatever the program reads from it with a placeholder.
   */
  adopt(output: unknown): void;
  /** The resources not run, in the order the program declared them. */
  readonly notRehearsed: NotRehearsed[];
  /** Where each placeholder in `props` came from: one note per prop path. */
  placeholdersIn(props: unknown, label: string): string[];
}

export function foreignResources(): ForeignResources {
  const notRehearsed: NotRehearsed[] = [];
  const origins = new Map<string, Origin>();
  const providers = new Map<string, ReturnType<ForeignResources["provider"]>>();

  function prototypeFor(type: string, id: string, address: string): object {
    return new Proxy(
      {},
      {
        get(_target, key, receiver) {
          if (typeof key !== "string" || ORDINARY.has(key) || key in Object.prototype) return Reflect.get(Object.prototype, key, receiver);
          const value = placeholderValue(type, id, key);
          origins.set(value, { type, id, address, key });
          return value;
        },
      },
    );
  }

  return {
    notRehearsed,
    provider(kind, options) {
      let provider = providers.get(kind);
      if (!provider) {
        provider = {
          type: kind,
          options,
          async handler(this: ForeignContext, id: string) {
            if (!notRehearsed.some((r) => r.address === this.fqn)) notRehearsed.push({ address: this.fqn, type: kind });
            if (this.phase === "delete") return this.destroy();
            return { [FOREIGN]: { type: kind, id, address: this.fqn } };
          },
        };
        providers.set(kind, provider);
      }
      return provider;
    },
    adopt(output) {
      const mark = output && typeof output === "object" ? (output as Record<symbol, Omit<Origin, "key"> | undefined>)[FOREIGN] : undefined;
      if (mark && Object.getPrototypeOf(output) === Object.prototype)
        Object.setPrototypeOf(output, prototypeFor(mark.type, mark.id, mark.address));
    },
    placeholdersIn(props, label) {
      const notes: string[] = [];
      const walk = (value: unknown, path: string) => {
        if (typeof value === "string") {
          if (!value.includes(PLACEHOLDER_TEXT)) return;
          const origin = [...origins.entries()].find(([text]) => value.includes(text))?.[1];
          const from = origin
            ? `the ${origin.key} of ${origin.type} "${origin.id}" (${origin.address}), which the rehearsal did not run`
            : "a resource the rehearsal did not run";
          notes.push(`${label}: ${path} is a placeholder (${JSON.stringify(value)}) for ${from}`);
        } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
        else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      };
      walk(props, "");
      return notes;
    },
  };
}
