/** A master-key problem: the server refuses to start rather than run without its secrets. */
export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MasterKeyError";
  }
}
