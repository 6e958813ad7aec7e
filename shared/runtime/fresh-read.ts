/**
 * One read shared by the callers who ask at about the same time, none of them given a value read
 * before it asked: a caller who comes while a read is under way waits for the next one, which
 * starts once that read ends. Many callers at once cost about two reads a round trip, not one each.
 */
export class FreshRead<T> {
  readonly #read: () => Promise<T>;
  #current: Promise<T> | null = null;
  #next: Promise<T> | null = null;

  constructor(read: () => Promise<T>) {
    this.#read = read;
  }

  get(): Promise<T> {
    const current = this.#current;
    if (current === null) return this.#start();
    if (this.#next === null) {
      const settled = current.then(
        () => undefined,
        () => undefined,
      );
      this.#next = settled.then(() => {
        this.#next = null;
        return this.#start();
      });
    }
    return this.#next;
  }

  #start(): Promise<T> {
    const read = this.#read();
    this.#current = read;
    const done = () => {
      if (this.#current === read) this.#current = null;
    };
    read.then(done, done);
    return read;
  }
}
