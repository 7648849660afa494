import { describe, expect, it } from 'vitest';
import type { PlatformEvent } from './platform-event.ts';
import { sameTurnEmitter } from './same-turn-emitter.ts';

const event = (id: string, tenant: string): PlatformEvent => ({ specversion: '1.0', id, source: '/test', type: 'test.event', time: '2026-12-02T00:00:00Z', subject: id, tenantid: tenant, data: {} });

describe('the same-turn emitter', () => {
  it('sends what one tenant emits in the same turn as one call, each tenant on its own, and a later turn as another', async () => {
    const calls: string[] = [];
    const emit = sameTurnEmitter(async (tenant, events) => void calls.push(`${tenant}:${events.map((e) => e.id).join(',')}`));
    await Promise.all([emit('acme', [event('a1', 'acme')]), emit('globex', [event('g1', 'globex')]), emit('acme', [event('a2', 'acme'), event('a3', 'acme')]), emit('acme', [])]);
    await emit('acme', [event('a4', 'acme')]);
    expect(calls).toEqual(['acme:a1,a2,a3', 'globex:g1', 'acme:a4']);
  });

  it("tells every caller of the turn the call's failure", async () => {
    const emit = sameTurnEmitter(() => Promise.reject(new Error('the pipeline is closed')));
    const outcomes = await Promise.allSettled([emit('acme', [event('a1', 'acme')]), emit('acme', [event('a2', 'acme')])]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
