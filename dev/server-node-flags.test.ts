import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from './server-node-flags.ts';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

describe('the server\'s Node flags', () => {
  it('are the same where a server is started: npm start and the deployment\'s environment files', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toBe(`node ${SERVER_NODE_FLAGS.join(' ')} bin/companyos.js start`);
    for (const file of ['deploy/scale-out/env/replica.env', 'deploy/scale-out/env/consumer.env']) {
      expect(read(file).split('\n'), file).toContain(`NODE_OPTIONS=${SERVER_NODE_FLAGS.join(' ')}`);
    }
  });
});
