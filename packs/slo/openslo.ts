import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

/** One OpenSLO v1 SLO over the API's own request events, as CompanyOS reads it. */
export interface Slo {
  name: string;
  displayName: string;
  /** The flow of `api.requests_total` events it measures (see surfaces/http/self-metering.ts). */
  flow: string;
  /** Good requests: no server error, and answered within this many milliseconds. */
  latencyMsAtMost: number;
  /** Share of good requests promised, e.g. 0.995. */
  target: number;
  windowDays: number;
  file: string;
}

export class SloError extends Error {
  override readonly name = 'SloError';
}

/** Every `*.yaml` SLO of `dir`, sorted by name; errors name the file and the field. */
export async function loadSlos(dir: string): Promise<Slo[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  if (files.length === 0) throw new SloError(`${dir} holds no OpenSLO *.yaml files.`);
  const slos = await Promise.all(files.map(async (file) => parseSlo(await readFile(join(dir, file), 'utf8'), file)));
  const names = slos.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new SloError(`Two SLOs are named ${twice}.`);
  return slos.sort((a, b) => a.name.localeCompare(b.name));
}

export function parseSlo(text: string, file: string): Slo {
  const doc = parse(text) as Record<string, unknown> | null;
  const fail = (field: string, problem: string): never => {
    throw new SloError(`${file}: ${field} ${problem}.`);
  };
  if (doc?.apiVersion !== 'openslo/v1') fail('apiVersion', 'must be openslo/v1');
  if (doc?.kind !== 'SLO') fail('kind', 'must be SLO');
  const metadata = (doc?.metadata ?? {}) as Record<string, unknown>;
  const name = metadata.name;
  if (typeof name !== 'string' || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) fail('metadata.name', 'must be a DNS label (lowercase letters, digits, -)');
  const spec = doc?.spec;
  if (at(spec, 'budgetingMethod') !== 'Occurrences') fail('spec.budgetingMethod', 'must be Occurrences (counted requests)');
  const source = (which: 'good' | 'total') => at(spec, 'indicator', 'spec', 'ratioMetric', which, 'metricSource');
  for (const which of ['good', 'total'] as const) {
    if (at(source(which), 'type') !== 'companyos') fail(`spec.indicator.spec.ratioMetric.${which}.metricSource.type`, 'must be companyos');
    if (at(source(which), 'spec', 'eventType') !== 'api.requests_total') fail(`spec.indicator.spec.ratioMetric.${which}.metricSource.spec.eventType`, 'must be api.requests_total');
  }
  const flow = at(source('total'), 'spec', 'flow');
  if (typeof flow !== 'string' || at(source('good'), 'spec', 'flow') !== flow) fail('spec.indicator.spec.ratioMetric', 'good and total must name the same flow');
  if (at(source('good'), 'spec', 'outcome') !== 'ok') fail('spec.indicator.spec.ratioMetric.good.metricSource.spec.outcome', 'must be ok');
  const latency = at(source('good'), 'spec', 'latencyMsAtMost');
  if (typeof latency !== 'number' || latency <= 0) fail('spec.indicator.spec.ratioMetric.good.metricSource.spec.latencyMsAtMost', 'must be a positive number of milliseconds');
  const target = at(spec, 'objectives', 0, 'target');
  if (typeof target !== 'number' || target <= 0 || target >= 1) fail('spec.objectives[0].target', 'must be a share between 0 and 1, like 0.995');
  const duration = at(spec, 'timeWindow', 0, 'duration');
  const days = typeof duration === 'string' ? /^(\d+)d$/.exec(duration)?.[1] : undefined;
  if (!days || at(spec, 'timeWindow', 0, 'isRolling') !== true) fail('spec.timeWindow[0]', 'must be a rolling window in days, like {duration: 28d, isRolling: true}');
  return {
    name: name as string,
    displayName: typeof metadata.displayName === 'string' ? metadata.displayName : (name as string),
    flow: flow as string,
    latencyMsAtMost: latency as number,
    target: target as number,
    windowDays: Number(days),
    file,
  };
}

/** A nested field of parsed YAML, undefined wherever the path breaks. */
function at(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}
