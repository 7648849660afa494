export { dedupeDigest, rowDigest, packedDigests, unpackDigests, DIGEST_BYTES } from './dedupe-digest.ts';
