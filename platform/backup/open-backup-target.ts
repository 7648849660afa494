import { DirectoryTarget, type BackupTarget } from './backup-target.ts';
import { parseS3Url, S3Target, type S3Options } from './s3-target.ts';

/** `s3://bucket[/prefix]` is an object store (at `s3.endpoint` when given); anything else a directory. */
export function openBackupTarget(location: string, s3: S3Options = {}): BackupTarget {
  if (!location.startsWith('s3://')) return new DirectoryTarget(location);
  const parsed = parseS3Url(location);
  if (!parsed) throw new Error(`${location} is not an S3 location: write s3://<bucket>[/<prefix>], the bucket in lower case (3 to 63 letters, digits, dots and hyphens).`);
  return new S3Target(parsed, s3);
}
