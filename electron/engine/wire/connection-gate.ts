/**
 * Admission control for a server: at most `total` connections, and at most
 * `perAddress` from one IP, so one host can't take every slot.
 */
export class ConnectionGate {
  private readonly byAddress = new Map<string, number>();
  private count = 0;

  constructor(
    readonly total: number,
    readonly perAddress: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Returns a release function, or why the connection is refused. */
  admit(address: string): { release: () => void } | { refused: string } {
    if (this.count >= this.total) return { refused: `connection limit (${this.total}) reached` };
    const fromHere = this.byAddress.get(address) ?? 0;
    if (fromHere >= this.perAddress) return { refused: `${address} already has ${this.perAddress} connections` };
    this.count++;
    this.byAddress.set(address, fromHere + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.count--;
        const left = (this.byAddress.get(address) ?? 1) - 1;
        if (left > 0) this.byAddress.set(address, left);
        else this.byAddress.delete(address);
      },
    };
  }
}
