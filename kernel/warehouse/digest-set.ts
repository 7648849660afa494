/** Words kept of each digest: 96 bits. Among 100M keys the chance that two differ only past them is ~1e-13. */
const WORDS = 3;
/** Bytes a slot takes. */
const SLOT_BYTES = WORDS * 4;
/**
 * The table doubles when it would be fuller than this. Linear probing stays short (a miss — a new
 * event — looks at ~3.6 slots on average at this load) and memory stays between 20 and 40 bytes
 * per key (12-byte slots, 30–60% full); while doubling, old and new tables are held together.
 */
const MAX_LOAD = 0.6;

/**
 * A compact set of 128-bit digests (e.g. MD5), of which it keeps 96 bits, in one typed array with
 * open addressing: 20–40 bytes per key instead of ~100 for a Set of strings, so the dedupe index of
 * 100M keys fits in 4 GB (`npm run bench:dedupe-memory` measures it).
 */
export class DigestSet {
  private slots: Uint32Array;
  private mask: number;
  private used = 0;
  private hasZero = false;

  constructor(initialCapacity = 1 << 16) {
    let capacity = 16;
    while (capacity * MAX_LOAD < initialCapacity) capacity *= 2;
    this.slots = new Uint32Array((capacity * SLOT_BYTES) / 4);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.used + (this.hasZero ? 1 : 0);
  }

  /** Bytes the set holds (its table). */
  get bytes(): number {
    return this.slots.byteLength;
  }

  has(digest: Uint8Array): boolean {
    const [a, b, c] = words(digest);
    if ((a | b | c) === 0) return this.hasZero;
    return this.find(a, b, c) >= 0;
  }

  /** Adds the digest; returns false when it was already present. */
  add(digest: Uint8Array): boolean {
    const [a, b, c] = words(digest);
    if ((a | b | c) === 0) {
      const added = !this.hasZero;
      this.hasZero = true;
      return added;
    }
    if (this.find(a, b, c) >= 0) return false;
    if (this.used + 1 > (this.mask + 1) * MAX_LOAD) this.grow();
    this.place(a, b, c);
    this.used++;
    return true;
  }

  private find(a: number, b: number, c: number): number {
    const s = this.slots;
    for (let i = a & this.mask; ; i = (i + 1) & this.mask) {
      const o = i * WORDS;
      const w0 = s[o]!, w1 = s[o + 1]!, w2 = s[o + 2]!;
      if ((w0 | w1 | w2) === 0) return -1;
      if (w0 === a && w1 === b && w2 === c) return i;
    }
  }

  private place(a: number, b: number, c: number): void {
    const s = this.slots;
    let i = a & this.mask;
    while ((s[i * WORDS]! | s[i * WORDS + 1]! | s[i * WORDS + 2]!) !== 0) i = (i + 1) & this.mask;
    s[i * WORDS] = a;
    s[i * WORDS + 1] = b;
    s[i * WORDS + 2] = c;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = (old.length * 2) / WORDS - 1;
    for (let o = 0; o < old.length; o += WORDS) {
      const a = old[o]!, b = old[o + 1]!, c = old[o + 2]!;
      if ((a | b | c) !== 0) this.place(a, b, c);
    }
  }
}

function words(digest: Uint8Array): [number, number, number] {
  if (digest.length !== 16) throw new RangeError(`a digest is 16 bytes, got ${digest.length}`);
  const d = digest;
  return [
    ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0,
    ((d[4]! << 24) | (d[5]! << 16) | (d[6]! << 8) | d[7]!) >>> 0,
    ((d[8]! << 24) | (d[9]! << 16) | (d[10]! << 8) | d[11]!) >>> 0,
  ];
}
