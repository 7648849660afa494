import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as S3 from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { assertObjectName, type BackupTarget } from './backup-target.ts';

export interface S3Location {
  bucket: string;
  /** Object names are under this prefix (no leading or trailing slash; '' for the bucket's root). */
  prefix: string;
}

/** `s3://bucket[/prefix]` as bucket and prefix; undefined when `url` is not one. */
export function parseS3Url(url: string): S3Location | undefined {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/.exec(url);
  if (!match) return undefined;
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

type S3Sdk = typeof S3;

export interface S3Options {
  /** An S3-compatible endpoint (MinIO, Ceph, a test server); AWS's own when absent. */
  endpoint?: string;
  region?: string;
  /** Explicit credentials; the standard AWS sources when absent. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * A backup target in an S3-compatible object store. A PUT is atomic (a reader never sees an object
 * half-written); credentials come from the standard AWS sources (environment, profile, instance role).
 * Only what S3 servers share is used — PUT, GET, ListObjects by prefix without a delimiter, paged by
 * Marker — and no
 * request checksums beyond what the protocol requires (servers other than AWS refuse the newer ones).
 */
export class S3Target implements BackupTarget {
  readonly description: string;
  private s3?: Promise<{ sdk: S3Sdk; client: S3Client }>;

  constructor(
    private readonly location: S3Location,
    private readonly options: S3Options = {},
  ) {
    this.description = `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ''}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
  }

  // The AWS SDK is loaded on the first request: it takes ~0.2 s to load, which every CLI command paid.
  private connect(): Promise<{ sdk: S3Sdk; client: S3Client }> {
    return (this.s3 ??= import('@aws-sdk/client-s3').then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.options.region ?? 'us-east-1',
        ...(this.options.credentials ? { credentials: this.options.credentials } : {}),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint, forcePathStyle: true } : {}),
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      }),
    })));
  }

  private key(name: string): string {
    return this.location.prefix ? `${this.location.prefix}/${name}` : name;
  }

  async put(name: string, from: string): Promise<void> {
    assertObjectName(name);
    const { size } = await stat(from);
    const { sdk, client } = await this.connect();
    await client.send(new sdk.PutObjectCommand({ Bucket: this.location.bucket, Key: this.key(name), Body: createReadStream(from), ContentLength: size }));
  }

  async get(name: string, to: string): Promise<true | undefined> {
    assertObjectName(name);
    const { sdk, client } = await this.connect();
    let body: Readable;
    try {
      body = (await client.send(new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }))).Body as Readable;
    } catch (error) {
      if (error instanceof sdk.NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') return undefined;
      throw error;
    }
    try {
      await pipeline(body, createWriteStream(to));
    } catch (error) {
      await rm(to, { force: true });
      throw error;
    }
    return true;
  }

  async delete(name: string): Promise<void> {
    assertObjectName(name);
    const { sdk, client } = await this.connect();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.location.bucket, Key: this.key(name) }));
  }

  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    const under = `${this.key(prefix).replace(/\/+$/, '')}/`;
    const strip = this.location.prefix ? this.location.prefix.length + 1 : 0;
    // ListObjects (v1) paged by Marker, the last key seen: every S3 server pages it alike, while s3rver
    // cannot answer a truncated v2 listing at all (its continuation tokens need DES, gone from OpenSSL 3).
    const { sdk, client } = await this.connect();
    let after: string | undefined;
    for (;;) {
      const page = await client.send(new sdk.ListObjectsCommand({ Bucket: this.location.bucket, Prefix: under, Marker: after }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      for (const key of keys) names.push(key.slice(strip));
      if (!page.IsTruncated || keys.length === 0) break;
      after = keys.at(-1);
    }
    return names.sort();
  }

  close(): void {
    void this.s3?.then(({ client }) => client.destroy());
  }
}
