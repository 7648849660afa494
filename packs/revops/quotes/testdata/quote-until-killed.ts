// Quotes one revision in the automatic band, in a process that stops to be SIGKILLed
// (quote-kill.test.ts): `quote-until-killed.ts <dir> <event type>` prints "paused" and waits when
// the quote book reports an event of that type — after the revision's transaction committed,
// before the approval's receipt is appended (`revops.quote.revised`) or after it (`revops.quote.approved`).
import { openQuoteDesk } from './quote-desk.ts';

const [dir, stopAt] = process.argv.slice(2) as [string, string];
const desk = await openQuoteDesk(dir, async (_tenant, events) => {
  if (events.some((event) => event.type === stopAt)) {
    process.stdout.write('paused\n');
    await new Promise<never>(() => undefined);
  }
});
await desk.quotes.create('acme', { id: 'q-1', account: 'Initech', currency: 'USD', list_price: '100000.00', final_price: '95000.00', terms: { term_months: 12, billing: 'annual' } }, 'rep-ann');
process.stdout.write('done\n');
