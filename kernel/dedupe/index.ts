export { dedupeDigest, packedDigests, unpackDigests, DIGEST_BYTES } from './dedupe-digest.ts';
