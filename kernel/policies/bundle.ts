import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as cedar from './cedar-wasm.ts';

/** The directory this file lives in: the bundle the platform ships. */
export const DEFAULT_POLICY_DIR = new URL('.', import.meta.url).pathname;

export interface RolesData {
  roles: Record<string, string>;
  dataClasses: string[];
  /** From `data/tenants.json`: the platform operator's tenant and cross-tenant ingest grants. */
  tenants: TenantsData;
}

export interface TenantsData {
  /** The tenant that operates the platform; its principals are `platform` to the policies. */
  platform?: string;
  /** Tenant → the other tenants its connectors may write events into. */
  ingestGrants: Record<string, string[]>;
}

export interface BundleRevision {
  /** `sha256:<hex>` over every policy, schema and data file, by path. */
  content: string;
  /** The git commit the bundle was loaded from, when it is in a git checkout. */
  git?: string;
  /** What decisions carry: the content hash, then `+git.<short commit>` when known. */
  id: string;
}

export interface PolicyBundle {
  dir: string;
  name: string;
  schema: string;
  /** Cedar policy text by its `@id`. */
  policies: Record<string, string>;
  /** The file each policy came from, by `@id`. */
  policyFiles: Record<string, string>;
  data: RolesData;
  revision: BundleRevision;
}

export class PolicyBundleError extends Error {
  override readonly name = 'PolicyBundleError';
}

const ID_ANNOTATION = /@id\(\s*"([^"]+)"\s*\)/;

/** Reads `*.cedar`, `schema.cedarschema` and `data/*.json` from `dir`; refuses unparsable files or policies without a unique `@id`. */
export function loadPolicyBundle(dir = DEFAULT_POLICY_DIR, name = 'companyos'): PolicyBundle {
  const files = readdirSync(dir).filter((file) => file.endsWith('.cedar')).sort();
  if (files.length === 0) throw new PolicyBundleError(`${dir} holds no .cedar policy files.`);
  const schema = readText(join(dir, 'schema.cedarschema'));
  const { policies, policyFiles } = parsePolicyFiles(Object.fromEntries(files.map((file) => [file, readText(join(dir, file))])));
  const dataFiles = readdirSync(join(dir, 'data')).filter((file) => file.endsWith('.json')).sort();
  const roles = JSON.parse(readText(join(dir, 'data', 'roles.json'))) as Omit<RolesData, 'tenants'>;
  const tenants = dataFiles.includes('tenants.json') ? (JSON.parse(readText(join(dir, 'data', 'tenants.json'))) as Partial<TenantsData>) : {};
  const data: RolesData = { ...roles, tenants: { platform: tenants.platform, ingestGrants: tenants.ingestGrants ?? {} } };
  const hashed = [...files, 'schema.cedarschema', ...dataFiles.map((file) => join('data', file))];
  return { dir, name, schema, policies, policyFiles, data, revision: bundleRevision(dir, hashed) };
}

/**
 * The bundle `base` would be with its policies replaced by `files` (name → Cedar text), schema
 * and data kept: what a policy change proposes. Its revision hashes the proposed text, so it
 * names exactly what was approved. Throws `PolicyBundleError` on text that does not parse.
 */
export function proposeBundle(base: PolicyBundle, files: Record<string, string>): PolicyBundle {
  const names = Object.keys(files).sort();
  if (names.length === 0) throw new PolicyBundleError('A policy set needs at least one .cedar file.');
  const { policies, policyFiles } = parsePolicyFiles(files);
  const hash = createHash('sha256');
  for (const file of names) hash.update(`${file}\0${Buffer.byteLength(files[file]!)}\0`).update(files[file]!);
  hash.update(`schema.cedarschema\0${Buffer.byteLength(base.schema)}\0`).update(base.schema);
  hash.update(`data\0`).update(JSON.stringify(base.data));
  const content = `sha256:${hash.digest('hex')}`;
  return { ...base, policies, policyFiles, revision: { content, id: `${content.slice(0, 19)}+proposed` } };
}

/** The policy texts of a bundle's `.cedar` files, by file name (what a proposal replaces). */
export function policyFileTexts(bundle: PolicyBundle): Record<string, string> {
  const texts: Record<string, string[]> = {};
  for (const [id, file] of Object.entries(bundle.policyFiles)) (texts[file] ??= []).push(bundle.policies[id]!);
  return Object.fromEntries(Object.entries(texts).map(([file, parts]) => [file, `${parts.join('\n\n')}\n`]));
}

function parsePolicyFiles(files: Record<string, string>): Pick<PolicyBundle, 'policies' | 'policyFiles'> {
  const policies: Record<string, string> = {};
  const policyFiles: Record<string, string> = {};
  for (const file of Object.keys(files).sort()) {
    const parts = cedar.policySetTextToParts(files[file]!);
    if (parts.type === 'failure') throw new PolicyBundleError(`${file}: ${parts.errors.map((e) => e.message).join('; ')}.`);
    for (const text of parts.policies) {
      const id = ID_ANNOTATION.exec(text)?.[1];
      if (!id) throw new PolicyBundleError(`${file}: every policy needs an @id("…") annotation; this one has none: ${text.split('\n')[0]}`);
      if (policies[id]) throw new PolicyBundleError(`${file}: @id("${id}") is already used in ${policyFiles[id]}.`);
      policies[id] = text;
      policyFiles[id] = file;
    }
  }
  return { policies, policyFiles };
}

function bundleRevision(dir: string, files: string[]): BundleRevision {
  const hash = createHash('sha256');
  for (const file of files) {
    const bytes = readFileSync(join(dir, file));
    hash.update(`${file}\0${bytes.length}\0`).update(bytes);
  }
  const content = `sha256:${hash.digest('hex')}`;
  const git = gitRevisionOf(dir, content);
  const short = git && `${git.slice(0, 12)}${git.endsWith('-dirty') ? '-dirty' : ''}`;
  return { content, git, id: short ? `${content.slice(0, 19)}+git.${short}` : content.slice(0, 19) };
}

/** The git revision each bundle directory was found at, by its content: asking git again (two processes) for the same files would answer the same. */
const gitRevisions = new Map<string, string | undefined>();

function gitRevisionOf(dir: string, content: string): string | undefined {
  const key = `${dir}\0${content}`;
  if (!gitRevisions.has(key)) gitRevisions.set(key, gitRevision(dir));
  return gitRevisions.get(key);
}

function gitRevision(dir: string): string | undefined {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    // A bundle edited since the commit is not that commit's bundle.
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '.'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${head}-dirty` : head;
  } catch {
    return undefined;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new PolicyBundleError(`Cannot read ${relative(process.cwd(), path) || path}: ${(error as Error).message}.`);
  }
}
