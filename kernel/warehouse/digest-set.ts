/**
 * A compact set of 128-bit digests (16 bytes each, e.g. MD5), in one typed array
 * with open addressing: about 32 bytes per key instead of ~100 for a Set of
 * strings, so tens of millions of dedupe keys fit in memory.
 */
export class DigestSet {
  private slots: Uint32Array;
  private mask: number;
  private used = 0;
  private hasZero = false;

  constructor(initialCapacity = 1 << 16) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.slots = new Uint32Array(capacity * 4);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.used + (this.hasZero ? 1 : 0);
  }

  has(digest: Uint8Array): boolean {
    const [a, b, c, d] = words(digest);
    if ((a | b | c | d) === 0) return this.hasZero;
    return this.find(a, b, c, d) >= 0;
  }

  /** Adds the digest; returns false when it was already present. */
  add(digest: Uint8Array): boolean {
    const [a, b, c, d] = words(digest);
    if ((a | b | c | d) === 0) {
      const added = !this.hasZero;
      this.hasZero = true;
      return added;
    }
    if (this.find(a, b, c, d) >= 0) return false;
    if ((this.used + 1) * 2 > this.mask + 1) this.grow();
    this.place(a, b, c, d);
    this.used++;
    return true;
  }

  private find(a: number, b: number, c: number, d: number): number {
    const s = this.slots;
    for (let i = a & this.mask; ; i = (i + 1) & this.mask) {
      const o = i * 4;
      const w0 = s[o]!, w1 = s[o + 1]!, w2 = s[o + 2]!, w3 = s[o + 3]!;
      if ((w0 | w1 | w2 | w3) === 0) return -1;
      if (w0 === a && w1 === b && w2 === c && w3 === d) return i;
    }
  }

  private place(a: number, b: number, c: number, d: number): void {
    const s = this.slots;
    let i = a & this.mask;
    while ((s[i * 4]! | s[i * 4 + 1]! | s[i * 4 + 2]! | s[i * 4 + 3]!) !== 0) i = (i + 1) & this.mask;
    s[i * 4] = a;
    s[i * 4 + 1] = b;
    s[i * 4 + 2] = c;
    s[i * 4 + 3] = d;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = old.length / 2 - 1;
    for (let o = 0; o < old.length; o += 4) {
      const a = old[o]!, b = old[o + 1]!, c = old[o + 2]!, d = old[o + 3]!;
      if ((a | b | c | d) !== 0) this.place(a, b, c, d);
    }
  }
}

function words(digest: Uint8Array): [number, number, number, number] {
  if (digest.length !== 16) throw new RangeError(`a digest is 16 bytes, got ${digest.length}`);
  const view = new DataView(digest.buffer, digest.byteOffset, 16);
  return [view.getUint32(0), view.getUint32(4), view.getUint32(8), view.getUint32(12)];
}
