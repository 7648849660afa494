/** A component tag of a page, Evidence's syntax: `<BarChart data={costs} x=month y=cost type=stacked/>`. */
export interface ComponentTag {
  name: string;
  props: Record<string, string>;
  /** `<Column …/>` children of a `<DataTable>`. */
  columns: Record<string, string>[];
}

export const COMPONENTS = ['BigValue', 'LineChart', 'BarChart', 'AreaChart', 'DataTable', 'Value'] as const;

const ATTRIBUTE = /([A-Za-z_][\w-]*)\s*=\s*(?:\{([^}]*)\}|"([^"]*)"|'([^']*)'|([^\s/>]+))/g;
const TAG = new RegExp(`<(${COMPONENTS.join('|')})\\b([^>]*?)(?:/>|>([\\s\\S]*?)</\\1>)`, 'g');

export function attributes(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const match of text.matchAll(ATTRIBUTE)) props[match[1]!] = (match[2] ?? match[3] ?? match[4] ?? match[5] ?? '').trim();
  return props;
}

/** The queries the component tags of `markdown` show (their `data`, however the attribute is written). */
export function shownQueries(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(TAG)].map((match) => attributes(match[2]!).data).filter((name): name is string => Boolean(name)));
}

/**
 * Replaces every component tag of `markdown` with a placeholder word, and
 * returns what `render` made of each: markdown never sees the HTML (an SVG is
 * not something a markdown parser should walk through), `insertComponents` puts it in after.
 */
export async function extractComponents(markdown: string, render: (tag: ComponentTag) => Promise<string>): Promise<{ markdown: string; html: string[] }> {
  const html: string[] = [];
  const out = await replaceComponents(markdown, async (tag) => {
    html.push(await render(tag));
    return `${PLACEHOLDER}${html.length - 1}${PLACEHOLDER}`;
  });
  return { markdown: out, html };
}

const PLACEHOLDER = 'COMPANYOSCOMPONENT';

/** The rendered HTML in place of each placeholder: a block where it stood alone, inline within text. */
export function insertComponents(html: string, rendered: string[]): string {
  return html
    .replace(new RegExp(`<p>${PLACEHOLDER}(\\d+)${PLACEHOLDER}</p>`, 'g'), (_, i: string) => rendered[Number(i)]!)
    .replace(new RegExp(`${PLACEHOLDER}(\\d+)${PLACEHOLDER}`, 'g'), (_, i: string) => rendered[Number(i)]!);
}

/** Replaces every component tag of `markdown` with what `render` makes of it. */
export async function replaceComponents(markdown: string, render: (tag: ComponentTag) => Promise<string>): Promise<string> {
  const tags: { match: string; tag: ComponentTag }[] = [];
  for (const match of markdown.matchAll(TAG)) {
    const columns = [...(match[3] ?? '').matchAll(/<Column\b([^>]*?)\/>/g)].map((c) => attributes(c[1]!));
    tags.push({ match: match[0], tag: { name: match[1]!, props: attributes(match[2]!), columns } });
  }
  let out = markdown;
  for (const { match, tag } of tags) {
    const replacement = await render(tag);
    // Block components stand in their own paragraph; Value stays inline in its sentence.
    out = out.replace(match, () => (tag.name === 'Value' ? replacement : `\n\n${replacement}\n\n`));
  }
  return out;
}
