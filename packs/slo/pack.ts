import type { Pack } from '../pack.ts';
import { registerSlo } from './cli/index.ts';
import { projectSloModels } from './index.ts';

export const sloPack: Pack = {
  name: 'slo',
  description: 'The platform\'s own SLOs in OpenSLO, as SLO fact models, Prometheus rules and error budgets.',
  generators: [{ reads: 'slo.yaml', generate: projectSloModels }],
  commands: registerSlo,
};
