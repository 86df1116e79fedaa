// Reads the fenced blocks of a Markdown document and the HTML comment that marks each one:
//   <!-- runnable -->                         a shell block the docs test runs
//   <!-- runnable: background, ready at HOST:PORT -->   started and left running until the document ends
//   <!-- output -->                           what the runnable block before it prints (stdout, exactly)
//   <!-- file: NAME -->                       written to NAME in the current directory before the next block runs
//   <!-- not runnable: REASON -->             shown, never run (needs Docker, a cluster, ...)
// and the document's own setup, one comment anywhere in it:
//   <!-- docs-test: ports 8080 18000; serve -->    ports mapped to free ones; `serve`: the test starts
//                                                  a control plane on the first two; `fresh clone`: the
//                                                  blocks run in a copy of the checkout
import { readFileSync } from 'node:fs';

export type BlockMark =
  | { kind: 'runnable'; readyAt?: string }
  | { kind: 'output' }
  | { kind: 'file'; name: string }
  | { kind: 'not runnable'; reason: string }
  | { kind: 'unmarked' };

export interface DocBlock {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
  mark: BlockMark;
}

export interface DocSetup {
  ports: number[];
  serve: boolean;
  freshClone: boolean;
}

/** The languages every block of which must be marked: what a reader would copy and run. */
export const CHECKED_LANGUAGES = new Set(['sh', 'bash', 'shell', 'yaml', 'yml']);

function parseMark(comment: string | undefined): BlockMark {
  const body = comment?.match(/^<!--\s*(.*?)\s*-->$/)?.[1];
  if (body === undefined) return { kind: 'unmarked' };
  if (body === 'runnable') return { kind: 'runnable' };
  const background = body.match(/^runnable: background, ready at (\S+)$/);
  if (background) return { kind: 'runnable', readyAt: background[1]! };
  if (body === 'output') return { kind: 'output' };
  const file = body.match(/^file: (\S+)$/);
  if (file) return { kind: 'file', name: file[1]! };
  const not = body.match(/^not runnable: (.+)$/);
  if (not) return { kind: 'not runnable', reason: not[1]! };
  return { kind: 'unmarked' };
}

export function parseBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  let lastText: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const open = line.match(/^```(\S*)\s*$/);
    if (!open) {
      if (line.trim() !== '') lastText = line.trim();
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ line: start + 1, lang: open[1]!, text: `${body.join('\n')}\n`, mark: parseMark(lastText) });
    lastText = undefined;
  }
  return blocks;
}

export function parseSetup(markdown: string): DocSetup | undefined {
  const body = markdown.match(/<!--\s*docs-test:\s*(.*?)\s*-->/)?.[1];
  if (body === undefined) return undefined;
  const setup: DocSetup = { ports: [], serve: false, freshClone: false };
  for (const part of body.split(';').map((p) => p.trim())) {
    if (part.startsWith('ports ')) setup.ports = part.slice(6).trim().split(/\s+/).map(Number);
    else if (part === 'serve') setup.serve = true;
    else if (part === 'fresh clone') setup.freshClone = true;
    else throw new Error(`docs-test: unknown setting "${part}"`);
  }
  return setup;
}

export function readDoc(path: string): { blocks: DocBlock[]; setup: DocSetup | undefined } {
  const markdown = readFileSync(path, 'utf8');
  return { blocks: parseBlocks(markdown), setup: parseSetup(markdown) };
}

/** Every port of the document replaced by its free one (whole numbers only: 8080, not 18080). */
export function mapPorts(text: string, ports: Map<number, number>): string {
  if (ports.size === 0) return text;
  const pattern = new RegExp(`(?<![\\d.])(${[...ports.keys()].join('|')})(?![\\d])`, 'g');
  return text.replace(pattern, (p) => String(ports.get(Number(p))));
}
