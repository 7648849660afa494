import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LedgerVerificationError } from './errors.ts';
import {
  EMPTY_ROOT,
  MerkleTree,
  hashLeaf,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from './merkle.ts';
import { isPowerOfTwo, splitPoint } from './rfc6962.ts';

interface Vectors {
  leafInputs: string[];
  nodeHashes: string[][];
  rootHashes: string[];
  inclusionProofs: { leafIndex: number; treeSize: number; proof: string[] }[];
  consistencyProofs: { size1: number; size2: number; proof: string[] }[];
  corruption: { someHash: string; wrongLeaf: string; wrongRoot: string };
  edgeCases: {
    inclusion: { desc: string; leafIndex: number; treeSize: number; root: string; leafHash: string; proof: string[]; wantErr: boolean }[];
    consistency: { desc: string; size1: number; size2: number; root1: string; root2: string; proof: string[]; wantErr: boolean }[];
  };
}

const V = JSON.parse(readFileSync(new URL('./testdata/transparency-dev-vectors.json', import.meta.url), 'utf8')) as Vectors;
const h = (hex: string): Buffer => Buffer.from(hex, 'hex');
const hexes = (list: Buffer[]): string[] => list.map((b) => b.toString('hex'));
const leaves = V.leafInputs.map((x) => hashLeaf(h(x)));
const root = (size: number): Buffer => h(V.rootHashes[size]!);
const tree = MerkleTree.fromLeafHashes(leaves);
const flip = (b: Buffer, mask: number): Buffer => {
  const copy = Buffer.from(b);
  copy[0] = copy[0]! ^ mask;
  return copy;
};

function rejects(check: 'inclusion' | 'consistency', fn: () => void): void {
  expect(fn).toThrow(LedgerVerificationError);
  try {
    fn();
  } catch (err) {
    expect((err as LedgerVerificationError).check).toBe(check);
  }
}

// RFC 6962 §2.1.1 and §2.1.2 written as their recursive definitions.
function refPath(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const k = splitPoint(d.length);
  return m < k
    ? [...refPath(m, d.slice(0, k)), rootFromLeafHashes(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), rootFromLeafHashes(d.slice(0, k))];
}
function refSubproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [rootFromLeafHashes(d)];
  const k = splitPoint(d.length);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), rootFromLeafHashes(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), rootFromLeafHashes(d.slice(0, k))];
}

/*
 * The hashing steps RFC 9162 verification takes for given sizes. A proof says
 * nothing about the tree size beyond this shape: claiming size 7 for a proof
 * made at size 8 passes when both shapes agree, and still yields the size-8
 * root. The signed checkpoint is what binds a size to its root.
 */
function steps(fn: number, sn: number): string {
  let s = '';
  const half = (): void => void ([fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)]);
  while (sn > 0) {
    if (fn % 2 === 1 || fn === sn) {
      s += 'L';
      while (fn % 2 === 0 && fn !== 0) half();
    } else s += 'R';
    half();
  }
  return s;
}
const inclusionShape = (index: number, size: number): string => (index < size ? steps(index, size - 1) : 'invalid');
function consistencyShape(size1: number, size2: number): string {
  if (size1 <= 0 || size1 >= size2) return 'invalid';
  let [fn, sn] = [size1 - 1, size2 - 1];
  while (fn % 2 === 1) [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  return (isPowerOfTwo(size1) ? 'seed:' : '') + steps(fn, sn);
}

/** A wrong size is rejected unless it gives the same hashing steps (see above). */
function wrongSize(check: 'inclusion' | 'consistency', sameShape: boolean, probe: () => void): void {
  if (sameShape) expect(probe).not.toThrow();
  else rejects(check, probe);
}

describe('transparency-dev/merkle vectors', () => {
  it('hashes leaves and perfect subtrees to the published node hashes', () => {
    expect(hexes(leaves)).toEqual(V.nodeHashes[0]);
    V.nodeHashes.forEach((row, level) =>
      row.forEach((want, i) => {
        const width = 2 ** level;
        expect(rootFromLeafHashes(leaves.slice(i * width, (i + 1) * width)).toString('hex')).toBe(want);
      }),
    );
  });

  it('computes the published root for every tree size', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(V.rootHashes[0]);
    for (let n = 0; n < V.rootHashes.length; n++) {
      expect(tree.root(n).toString('hex')).toBe(V.rootHashes[n]);
      expect(rootFromLeafHashes(leaves.slice(0, n)).toString('hex')).toBe(V.rootHashes[n]);
      expect(new MerkleTree(leaves.slice(0, n)).root().toString('hex')).toBe(V.rootHashes[n]);
    }
  });

  const inclusionCases = V.inclusionProofs.map((c) => ({ ...c, name: `leaf ${c.leafIndex} of ${c.treeSize}` }));
  describe.each(inclusionCases)('inclusion of $name', ({ leafIndex, treeSize, proof: hexProof }) => {
    const proof = hexProof.map(h);
    const leaf = leaves[leafIndex]!;
    const rootHash = root(treeSize);

    it('verifies the published proof and generates the same one', () => {
      expect(() => verifyInclusion(leaf, leafIndex, treeSize, proof, rootHash)).not.toThrow();
      expect(hexes(tree.inclusionProof(leafIndex, treeSize))).toEqual(hexProof);
    });

    it('rejects every tampered variant', () => {
      const some = h(V.corruption.someHash);
      const probes: [string, () => void][] = [
        ['index - 1', () => verifyInclusion(leaf, leafIndex - 1, treeSize, proof, rootHash)],
        ['index + 1', () => verifyInclusion(leaf, leafIndex + 1, treeSize, proof, rootHash)],
        ['index ^ 2', () => verifyInclusion(leaf, leafIndex ^ 2, treeSize, proof, rootHash)],
        ['size * 2', () => verifyInclusion(leaf, leafIndex, treeSize * 2, proof, rootHash)],
        ['size / 2', () => verifyInclusion(leaf, leafIndex, Math.floor(treeSize / 2), proof, rootHash)],
        ['wrong leaf', () => verifyInclusion(h(V.corruption.wrongLeaf), leafIndex, treeSize, proof, rootHash)],
        ['flipped leaf', () => verifyInclusion(flip(leaf, 8), leafIndex, treeSize, proof, rootHash)],
        ['empty root', () => verifyInclusion(leaf, leafIndex, treeSize, proof, EMPTY_ROOT)],
        ['random root', () => verifyInclusion(leaf, leafIndex, treeSize, proof, some)],
        ['flipped root', () => verifyInclusion(leaf, leafIndex, treeSize, proof, flip(rootHash, 8))],
        ['trailing garbage', () => verifyInclusion(leaf, leafIndex, treeSize, [...proof, Buffer.alloc(0)], rootHash)],
        ['trailing root', () => verifyInclusion(leaf, leafIndex, treeSize, [...proof, rootHash], rootHash)],
        ['preceding garbage', () => verifyInclusion(leaf, leafIndex, treeSize, [Buffer.alloc(0), ...proof], rootHash)],
        ['preceding root', () => verifyInclusion(leaf, leafIndex, treeSize, [rootHash, ...proof], rootHash)],
        ...proof.map((_, i): [string, () => void] => [
          `flipped proof[${i}]`,
          () => verifyInclusion(leaf, leafIndex, treeSize, proof.map((p, j) => (j === i ? flip(p, 8) : p)), rootHash),
        ]),
      ];
      if (proof.length > 0) probes.push(['removed component', () => verifyInclusion(leaf, leafIndex, treeSize, proof.slice(0, -1), rootHash)]);
      if (proof.length > 1) {
        probes.push(['inserted component', () => verifyInclusion(leaf, leafIndex, treeSize, [proof[0]!, some, ...proof.slice(1)], rootHash)]);
      }
      for (const [desc, probe] of probes) {
        expect(probe, desc).toThrow(LedgerVerificationError);
        rejects('inclusion', probe);
      }
      for (const size of [treeSize - 1, treeSize + 1]) {
        const same = inclusionShape(leafIndex, size) === inclusionShape(leafIndex, treeSize);
        wrongSize('inclusion', same, () => verifyInclusion(leaf, leafIndex, size, proof, rootHash));
      }
    });
  });

  describe.each(V.consistencyProofs)('consistency from $size1 to $size2', ({ size1, size2, proof: hexProof }) => {
    const proof = hexProof.map(h);
    const [root1, root2] = [root(size1), root(size2)];

    it('verifies the published proof and generates the same one', () => {
      expect(() => verifyConsistency(size1, size2, root1, root2, proof)).not.toThrow();
      expect(hexes(tree.consistencyProof(size1, size2))).toEqual(hexProof);
    });

    // The 1 → 1 proof is empty: there is nothing to tamper with (the edge cases cover equal sizes).
    if (proof.length > 0) it('rejects every tampered variant', () => {
      const wrong = h(V.corruption.wrongRoot);
      const probes: [string, () => void][] = [
        ['size1 - 1', () => verifyConsistency(size1 - 1, size2, root1, root2, proof)],
        ['size1 + 1', () => verifyConsistency(size1 + 1, size2, root1, root2, proof)],
        ['size1 ^ 2', () => verifyConsistency(size1 ^ 2, size2, root1, root2, proof)],
        ['size2 * 2', () => verifyConsistency(size1, size2 * 2, root1, root2, proof)],
        ['size2 / 2', () => verifyConsistency(size1, Math.floor(size2 / 2), root1, root2, proof)],
        ['wrong root1', () => verifyConsistency(size1, size2, wrong, root2, proof)],
        ['wrong root2', () => verifyConsistency(size1, size2, root1, wrong, proof)],
        ['flipped root1', () => verifyConsistency(size1, size2, flip(root1, 16), root2, proof)],
        ['flipped root2', () => verifyConsistency(size1, size2, root1, flip(root2, 16), proof)],
        ['swapped roots', () => verifyConsistency(size1, size2, root2, root1, proof)],
        ['empty proof', () => verifyConsistency(size1, size2, root1, root2, [])],
        ['trailing garbage', () => verifyConsistency(size1, size2, root1, root2, [...proof, Buffer.alloc(0)])],
        ['trailing root1', () => verifyConsistency(size1, size2, root1, root2, [...proof, root1])],
        ['trailing root2', () => verifyConsistency(size1, size2, root1, root2, [...proof, root2])],
        ['preceding garbage', () => verifyConsistency(size1, size2, root1, root2, [Buffer.alloc(0), ...proof])],
        ['preceding root1', () => verifyConsistency(size1, size2, root1, root2, [root1, ...proof])],
        ['preceding root2', () => verifyConsistency(size1, size2, root1, root2, [root2, ...proof])],
        ['preceding proof[0]', () => verifyConsistency(size1, size2, root1, root2, [proof[0]!, ...proof])],
        ['truncated proof', () => verifyConsistency(size1, size2, root1, root2, proof.slice(0, -1))],
        ...proof.map((_, i): [string, () => void] => [
          `flipped proof[${i}]`,
          () => verifyConsistency(size1, size2, root1, root2, proof.map((p, j) => (j === i ? flip(p, 16) : p))),
        ]),
      ];
      for (const [desc, probe] of probes) {
        expect(probe, desc).toThrow(LedgerVerificationError);
        rejects('consistency', probe);
      }
      for (const size of [size2 - 1, size2 + 1]) {
        const same = consistencyShape(size1, size) === consistencyShape(size1, size2);
        wrongSize('consistency', same, () => verifyConsistency(size1, size, root1, root2, proof));
      }
    });
  });

  it.each(V.edgeCases.inclusion)('inclusion edge case: $desc', (c) => {
    const probe = (): void => verifyInclusion(h(c.leafHash), c.leafIndex, c.treeSize, c.proof.map(h), h(c.root));
    if (c.wantErr) rejects('inclusion', probe);
    else expect(probe).not.toThrow();
  });

  it.each(V.edgeCases.consistency)('consistency edge case: $desc', (c) => {
    const probe = (): void => verifyConsistency(c.size1, c.size2, h(c.root1), h(c.root2), c.proof.map(h));
    if (c.wantErr) rejects('consistency', probe);
    else expect(probe).not.toThrow();
  });
});

describe('MerkleTree against the recursive definitions', () => {
  const data = Array.from({ length: 70 }, (_, i) => hashLeaf(`entry ${i}`));
  const big = new MerkleTree();
  data.forEach((d, i) => expect(big.append(d)).toBe(i));

  it('matches MTH, PATH and PROOF for every size 0..70 and every index and size pair', () => {
    for (let n = 0; n <= 70; n++) {
      const d = data.slice(0, n);
      const mth = rootFromLeafHashes(d);
      expect(big.root(n).equals(mth)).toBe(true);
      const fresh = new MerkleTree(d);
      expect(fresh.root().equals(mth)).toBe(true);
      for (let i = 0; i < n; i++) {
        const proof = big.inclusionProof(i, n);
        expect(hexes(proof)).toEqual(hexes(refPath(i, d)));
        verifyInclusion(d[i]!, i, n, proof, mth);
      }
      for (let m = 1; m <= n; m++) {
        const proof = big.consistencyProof(m, n);
        expect(hexes(proof)).toEqual(hexes(refSubproof(m, d, true)));
        verifyConsistency(m, n, rootFromLeafHashes(data.slice(0, m)), mth, proof);
      }
    }
  });

  it('refuses out-of-range requests', () => {
    expect(() => big.inclusionProof(70, 70)).toThrow(RangeError);
    expect(() => big.inclusionProof(0, 71)).toThrow(RangeError);
    expect(() => big.consistencyProof(0, 5)).toThrow(RangeError);
    expect(() => big.consistencyProof(6, 5)).toThrow(RangeError);
    expect(() => big.root(71)).toThrow(RangeError);
    expect(() => new MerkleTree().append(Buffer.alloc(31))).toThrow(RangeError);
  });

  it('proves leaves of a 100k tree with log-size proofs, and rebuilds to the same root', () => {
    const n = 100_000;
    const t = new MerkleTree();
    for (let i = 0; i < n; i++) t.append(hashLeaf(`leaf ${i}`));
    const rootHash = t.root();
    for (let r = 0; r < 200; r++) {
      const index = (r * 7919) % n;
      const proof = t.inclusionProof(index, n);
      expect(proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(n)));
      verifyInclusion(t.leafHash(index), index, n, proof, rootHash);
    }
    const size1 = 61_234;
    verifyConsistency(size1, n, t.root(size1), rootHash, t.consistencyProof(size1, n));
    expect(MerkleTree.fromLeafHashes(Array.from({ length: n }, (_, i) => t.leafHash(i))).root().equals(rootHash)).toBe(true);
  });
});
