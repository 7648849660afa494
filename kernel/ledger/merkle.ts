import { EMPTY_ROOT, HASH_SIZE, hashChildren, splitPoint } from './rfc6962.ts';

export { EMPTY_ROOT, HASH_SIZE, hashChildren, hashLeaf, rootFromLeafHashes } from './rfc6962.ts';
export { consistencyProofLength, inclusionProofLength, verifyConsistency, verifyInclusion } from './merkle-verify.ts';

/** A growable array of 32-byte hashes kept in one buffer (a Buffer per hash costs ~5× the memory). */
class HashRow {
  #buf = Buffer.alloc(HASH_SIZE * 64);
  length = 0;

  push(hash: Uint8Array): void {
    if ((this.length + 1) * HASH_SIZE > this.#buf.length) {
      const bigger = Buffer.alloc(this.#buf.length * 2);
      this.#buf.copy(bigger);
      this.#buf = bigger;
    }
    this.#buf.set(hash, this.length * HASH_SIZE);
    this.length++;
  }

  /** A view into the row: never hand it out, it would let callers change the tree. */
  view(index: number): Buffer {
    return this.#buf.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }
}

/**
 * An append-only RFC 6962 Merkle tree over leaf hashes. It keeps every perfect
 * subtree hash (levels[h][i] covers leaves i·2^h … (i+1)·2^h − 1), about 2n
 * hashes in all, so roots and proofs for any past size cost O(log n) hashing.
 */
export class MerkleTree {
  readonly #levels: HashRow[] = [new HashRow()];

  constructor(leafHashes: Iterable<Buffer> = []) {
    for (const h of leafHashes) this.append(h);
  }

  static fromLeafHashes(hashes: Iterable<Buffer>): MerkleTree {
    return new MerkleTree(hashes);
  }

  get size(): number {
    return this.#levels[0]!.length;
  }

  /** Adds a leaf hash (see hashLeaf) and returns its index. */
  append(leafHash: Buffer): number {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) {
      throw new RangeError(`A leaf hash is ${HASH_SIZE} bytes.`);
    }
    const index = this.size;
    this.#levels[0]!.push(leafHash);
    // Completing a pair completes the perfect subtree above it, possibly several levels up.
    for (let level = 0; this.#levels[level]!.length % 2 === 0; level++) {
      const row = this.#levels[level]!;
      const parent = hashChildren(row.view(row.length - 2), row.view(row.length - 1));
      (this.#levels[level + 1] ??= new HashRow()).push(parent);
    }
    return index;
  }

  leafHash(index: number): Buffer {
    this.#checkSize(index + 1, 'index + 1');
    return Buffer.from(this.#levels[0]!.view(index));
  }

  /** MTH of the first `size` leaves. */
  root(size: number = this.size): Buffer {
    this.#checkSize(size, 'size');
    return Buffer.from(this.#hash(0, size));
  }

  /** PATH(index, D[size]) of RFC 6962 §2.1.1, leaf-side hash first. */
  inclusionProof(index: number, size: number = this.size): Buffer[] {
    this.#checkSize(size, 'size');
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`Leaf index ${index} is not inside a tree of size ${size}.`);
    }
    const proof: Buffer[] = [];
    let [start, end] = [0, size];
    while (end - start > 1) {
      const k = splitPoint(end - start);
      if (index < start + k) {
        proof.push(this.#hash(start + k, end));
        end = start + k;
      } else {
        proof.push(this.#hash(start, start + k));
        start += k;
      }
    }
    return proof.reverse().map((h) => Buffer.from(h));
  }

  /** PROOF(size1, D[size2]) of RFC 6962 §2.1.2, for 0 < size1 ≤ size2. */
  consistencyProof(size1: number, size2: number = this.size): Buffer[] {
    this.#checkSize(size2, 'size2');
    if (!Number.isSafeInteger(size1) || size1 < 1 || size1 > size2) {
      throw new RangeError(`A consistency proof needs 0 < size1 ≤ size2, got ${size1} and ${size2}.`);
    }
    const proof: Buffer[] = [];
    let [start, end, m, haveRoot] = [0, size2, size1, true];
    while (m !== end - start) {
      const k = splitPoint(end - start);
      if (m <= k) {
        proof.push(this.#hash(start + k, end));
        end = start + k;
      } else {
        proof.push(this.#hash(start, start + k));
        [start, m, haveRoot] = [start + k, m - k, false];
      }
    }
    if (!haveRoot) proof.push(this.#hash(start, end));
    return proof.reverse().map((h) => Buffer.from(h));
  }

  #checkSize(size: number, what: string): void {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new RangeError(`${what} ${size} is outside a tree of ${this.size} leaves.`);
    }
  }

  /**
   * MTH(D[start:end]) for the ranges the RFC recursion produces: either a
   * perfect, aligned subtree (one lookup) or one ending on the right border,
   * which splits into a perfect left part and a shorter right border.
   * May return a view into the tree: callers copy before handing it out.
   */
  #hash(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 0) return EMPTY_ROOT;
    let level = 0;
    while (2 ** level < n) level++;
    if (2 ** level === n && start % n === 0) {
      const row = this.#levels[level];
      if (!row || start / n >= row.length) throw new Error(`Merkle tree is missing the subtree hash at level ${level}, index ${start / n}.`);
      return row.view(start / n);
    }
    const k = splitPoint(n);
    return hashChildren(this.#hash(start, start + k), this.#hash(start + k, end));
  }
}
