import { COMPONENTS } from './components.ts';

/**
 * Evidence syntax this renderer does not support, found before anything is
 * rendered, so that a page never shows a construct as raw text or runs a query
 * form it cannot: each problem names the file, line and construct.
 */
export interface SyntaxProblem {
  line: number;
  construct: string;
  message: string;
}

const SUPPORTED_FRONT_MATTER = ['title', 'description'];
const QUERY_FENCE = /^sql[ \t]+[A-Za-z_][A-Za-z0-9_]*$/;
const TAG = new RegExp(`<(${COMPONENTS.join('|')})\\b([^>]*?)(?:/>|>([\\s\\S]*?)</\\1>)`, 'g');

/** Blanks a span, newlines kept, so that later scans skip it and line numbers stay right. */
const blank = (text: string) => text.replace(/[^\n]/g, ' ');

export function unsupportedSyntax(text: string): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const lineOf = (index: number) => text.slice(0, index).split('\n').length;
  const problem = (index: number, construct: string, message: string) => problems.push({ line: lineOf(index), construct, message });

  let scan = text;
  const front = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (front) {
    for (const key of front[1]!.matchAll(/^([A-Za-z_][\w-]*)\s*:/gm)) {
      if (key[1] === 'queries') problem(4 + key.index, 'front-matter queries:', 'queries in front matter are not supported: write each query as a ```sql <name> block');
      else if (!SUPPORTED_FRONT_MATTER.includes(key[1]!)) problem(4 + key.index, `front-matter ${key[1]}:`, `front-matter key ${key[1]} is not supported (supported: ${SUPPORTED_FRONT_MATTER.join(', ')})`);
    }
    scan = blank(front[0]) + text.slice(front[0].length);
  }

  // Code fences: ```sql <name> is a query, a fence with no info string is plain code; anything else Evidence would run as a query.
  scan = scan.replace(/^(```|~~~)([^\n]*)\n[\s\S]*?(?:^\1[ \t]*$|(?![\s\S]))/gm, (block, _fence: string, info: string, offset: number) => {
    const words = info.trim();
    if (words === 'sql') problem(offset, '```sql', 'a ```sql block needs a query name: ```sql <name>');
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(words)) problem(offset, `\`\`\`${words}`, `a query fence without the sql keyword is not supported: write \`\`\`sql ${words}`);
    else if (words && !QUERY_FENCE.test(words)) problem(offset, `\`\`\`${words}`, 'only ```sql <name> query blocks and plain ``` code blocks are supported');
    return blank(block);
  });
  scan = scan.replace(/`[^`\n]*`/g, blank);
  scan = scan.replace(TAG, blank);

  // A tag left now is unsupported or unreadable; its attributes are not reported again as expressions.
  scan = scan.replace(/<\/?([A-Z][A-Za-z0-9]*)\b[^>]*>?/g, (tag, name: string, offset: number) => {
    if (tag.startsWith('</')) return blank(tag);
    if ((COMPONENTS as readonly string[]).includes(name) || name === 'Column') problem(offset, `<${name}>`, `<${name}> could not be read: close it with /> or </${name}>`);
    else problem(offset, `<${name}>`, `component <${name}> is not supported (supported: ${COMPONENTS.join(', ')})`);
    return blank(tag);
  });
  for (const match of scan.matchAll(/\{\s*([#:/@])\s*([A-Za-z]*)[^}\n]*\}?/g)) {
    problem(match.index, `{${match[1]}${match[2]}}`, `the ${match[1]}${match[2]} block is not supported: pages have no {#if}, {#each} or other Svelte blocks`);
  }
  for (const match of scan.matchAll(/\{(?!\s*[#:/@])[^}\n]*\}?/g)) {
    problem(match.index, match[0].slice(0, 40), 'inline expressions are not supported: show a value with <Value data={query} column=col/>');
  }
  return problems.sort((a, b) => a.line - b.line);
}
