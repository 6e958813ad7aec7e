/**
 * Group commit of ids into queue messages: ids added while a send is under way (or in the
 * same turn of the event loop) go out together in the next one, in messages of at most
 * `maxPerMessage`. Each caller's promise settles when the message holding its ids is written.
 */
export class GroupedSend {
  readonly #send: (ids: readonly string[]) => Promise<void>;
  readonly #maxPerMessage: number;
  readonly #maxInFlight: number;
  #open: {
    readonly ids: Set<string>;
    readonly done: Promise<void>;
    settle: (error?: unknown) => void;
  } | null = null;
  #inFlight = 0;
  readonly #onIdle: (() => void) | undefined;

  constructor(
    send: (ids: readonly string[]) => Promise<void>,
    options: {
      readonly maxPerMessage: number;
      readonly maxInFlight: number;
      /** Called when the last send has settled and nobody waits (the owner may drop this). */
      readonly onIdle?: () => void;
    },
  ) {
    this.#send = send;
    this.#maxPerMessage = options.maxPerMessage;
    this.#maxInFlight = options.maxInFlight;
    this.#onIdle = options.onIdle;
  }

  add(ids: readonly string[]): Promise<void> {
    let group = this.#open;
    if (group === null) {
      let settle: (error?: unknown) => void = () => undefined;
      const done = new Promise<void>((resolve, reject) => {
        settle = (error) => (error === undefined ? resolve() : reject(error));
      });
      group = { ids: new Set(), done, settle };
      this.#open = group;
      // Callers in the same turn of the event loop join before it goes.
      if (this.#inFlight < this.#maxInFlight) setImmediate(() => this.#flush());
    }
    for (const id of ids) group.ids.add(id);
    return group.done;
  }

  #flush(): void {
    const group = this.#open;
    if (group === null) return;
    this.#open = null;
    this.#inFlight += 1;
    const ids = [...group.ids];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < ids.length; i += this.#maxPerMessage)
      sends.push(this.#send(ids.slice(i, i + this.#maxPerMessage)));
    Promise.all(sends)
      .then(
        () => group.settle(),
        (error: unknown) => group.settle(error ?? new Error('queue send failed')),
      )
      .finally(() => {
        this.#inFlight -= 1;
        if (this.#open !== null && this.#inFlight < this.#maxInFlight) this.#flush();
        else if (this.#open === null && this.#inFlight === 0) this.#onIdle?.();
      });
  }
}
