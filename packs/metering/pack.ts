import { fileURLToPath } from 'node:url';
import { fileGenerator } from '../../platform/transforms/index.ts';
import type { Pack } from '../pack.ts';
import { usageRoutes } from './http/index.ts';
import { meterProjectModels, parseMeters } from './index.ts';

export const meteringPack: Pack = {
  name: 'metering',
  description: 'Usage meters declared in models/meters.yaml, built from the events, served per tenant.',
  pages: { dir: fileURLToPath(new URL('./pages/', import.meta.url)), under: '' },
  generators: [
    fileGenerator('meters.yaml', (path, text) => {
      const { meters, problems } = parseMeters(path, text);
      return { models: meterProjectModels(meters, path), problems };
    }),
  ],
  routes: (app, context) => usageRoutes(app, { scope: context.scope, modelsDir: context.modelsDir }),
};
