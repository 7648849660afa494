import { LedgerVerificationError, type VerificationCheck } from './errors.ts';
import { HASH_SIZE, hashChildren, isPowerOfTwo, splitPoint } from './rfc6962.ts';

type ProofCheck = Extract<VerificationCheck, 'inclusion' | 'consistency'>;

function fail(check: ProofCheck, message: string): never {
  throw new LedgerVerificationError(check, message);
}

function requireSize(check: ProofCheck, what: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) fail(check, `${what} must be a non-negative integer, got ${String(value)}.`);
}

function requireHashes(check: ProofCheck, proof: readonly Uint8Array[]): void {
  proof.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE) {
      fail(check, `Proof hash ${i} is ${h instanceof Uint8Array ? h.length : 'not'} bytes, not ${HASH_SIZE}.`);
    }
  });
}

const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** Number of hashes in PATH(index, D[size]) (RFC 6962 §2.1.1). */
export function inclusionProofLength(index: number, size: number): number {
  let start = 0;
  let end = size;
  let length = 0;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) end = start + k;
    else start += k;
    length++;
  }
  return length;
}

/** Number of hashes in PROOF(size1, D[size2]) for 0 < size1 ≤ size2 (RFC 6962 §2.1.2). */
export function consistencyProofLength(size1: number, size2: number): number {
  let m = size1;
  let n = size2;
  let haveRoot = true;
  let length = 0;
  while (m !== n) {
    const k = splitPoint(n);
    if (m <= k) n = k;
    else {
      m -= k;
      n -= k;
      haveRoot = false;
    }
    length++;
  }
  return haveRoot ? length : length + 1;
}

/** RFC 9162 §2.1.3.2. Returns nothing; throws LedgerVerificationError('inclusion') on any mismatch. */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  rootHash: Uint8Array,
): void {
  requireSize('inclusion', 'The leaf index', index);
  requireSize('inclusion', 'The tree size', treeSize);
  if (index >= treeSize) fail('inclusion', `Leaf index ${index} is not inside a tree of size ${treeSize}.`);
  if (!(leafHash instanceof Uint8Array) || leafHash.length !== HASH_SIZE) fail('inclusion', `The leaf hash is not ${HASH_SIZE} bytes.`);
  requireHashes('inclusion', proof);
  const want = inclusionProofLength(index, treeSize);
  if (proof.length !== want) {
    fail('inclusion', `An inclusion proof for leaf ${index} in a tree of size ${treeSize} has ${want} hashes, this one has ${proof.length}.`);
  }
  let fn = index;
  let sn = treeSize - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) fail('inclusion', 'The inclusion proof is longer than the path to the root.');
    if (odd(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      r = hashChildren(r, p);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0 || !same(r, rootHash)) {
    fail('inclusion', `The inclusion proof for leaf ${index} does not lead to the root hash of the tree of size ${treeSize}.`);
  }
}

/** RFC 9162 §2.1.4.2. Returns nothing; throws LedgerVerificationError('consistency') on any mismatch. */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): void {
  requireSize('consistency', 'The first tree size', size1);
  requireSize('consistency', 'The second tree size', size2);
  if (size1 > size2) fail('consistency', `The first tree size ${size1} is larger than the second tree size ${size2}.`);
  requireHashes('consistency', proof);
  if (size1 === size2) {
    if (proof.length !== 0) fail('consistency', `Trees of equal size ${size1} need an empty proof, this one has ${proof.length} hashes.`);
    if (!same(root1, root2)) fail('consistency', `Two trees of size ${size1} have different root hashes.`);
    return;
  }
  if (size1 === 0) fail('consistency', 'A consistency proof must start from a non-empty tree.');
  const want = consistencyProofLength(size1, size2);
  if (proof.length !== want) {
    fail('consistency', `A consistency proof from size ${size1} to ${size2} has ${want} hashes, this one has ${proof.length}.`);
  }
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) [fn, sn] = [half(fn), half(sn)];
  let fr: Uint8Array = path[0]!;
  let sr: Uint8Array = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) fail('consistency', 'The consistency proof is longer than the path to the root.');
    if (odd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!odd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      sr = hashChildren(sr, c);
    }
    [fn, sn] = [half(fn), half(sn)];
  }
  if (sn !== 0) fail('consistency', 'The consistency proof is shorter than the path to the root.');
  if (!same(fr, root1)) fail('consistency', `The consistency proof does not match the root hash of the tree of size ${size1}.`);
  if (!same(sr, root2)) fail('consistency', `The consistency proof does not match the root hash of the tree of size ${size2}.`);
}
