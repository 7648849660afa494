import { entityGraphPack } from './entity-graph/pack.ts';
import { finopsPack } from './finops/pack.ts';
import { highRiskOpsPack } from './high-risk-ops/pack.ts';
import { meteringPack } from './metering/pack.ts';
import { revopsPack } from './revops/pack.ts';
import type { Pack } from './pack.ts';
import { sloPack } from './slo/pack.ts';

export type { DemoServices, Pack, PackContext, WorkflowServices } from './pack.ts';

/** Every pack the platform runs. A new pack is its folder plus one line here. */
export const PACKS: readonly Pack[] = [
  meteringPack,
  finopsPack,
  sloPack,
  entityGraphPack,
  highRiskOpsPack,
  revopsPack,
];

/** The models every pack generates, for the compiler. */
export const MODEL_GENERATORS = PACKS.flatMap((pack) => pack.generators ?? []);
export type { WebhookConfig } from './finops/index.ts';
