/**
 * Keeps the first and last bytes of a stream within a fixed budget, so a command printing
 * gigabytes costs the host no more than `capBytes` of memory.
 */
export class BoundedOutput {
  private readonly headCap: number;
  private readonly tailCap: number;
  private readonly head: Buffer[] = [];
  private headLength = 0;
  private tail: Buffer = Buffer.alloc(0);
  private total = 0;

  constructor(capBytes: number) {
    this.headCap = Math.ceil(capBytes / 2);
    this.tailCap = capBytes - this.headCap;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.headLength < this.headCap) {
      const take = Math.min(this.headCap - this.headLength, rest.length);
      this.head.push(Buffer.from(rest.subarray(0, take)));
      this.headLength += take;
      rest = rest.subarray(take);
    }
    if (rest.length === 0 || this.tailCap === 0) return;
    const joined = rest.length >= this.tailCap ? rest : Buffer.concat([this.tail, rest]);
    // Copy so the tail never pins a large chunk.
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - this.tailCap)));
  }

  get omittedBytes(): number {
    return this.total - this.headLength - this.tail.length;
  }

  get truncated(): boolean {
    return this.omittedBytes > 0;
  }

  toString(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = this.tail.toString('utf8');
    if (!this.truncated) return head + tail;
    return `${head}\n…[${this.omittedBytes} bytes omitted]…\n${tail}`;
  }
}
