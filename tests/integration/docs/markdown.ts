import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout's root, two folders above this one. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A fenced block whose info string says `runnable`: ```sh runnable or ```ts runnable. */
export interface RunnableBlock {
  /** The document, relative to the root. */
  file: string;
  /** The line of the opening fence, 1-based. */
  line: number;
  lang: 'sh' | 'ts';
  code: string;
  /** Text the block's output must contain, from an `<!-- expect: TEXT -->` line just above it. */
  expect?: string;
}

const FENCE = /^```(\S*)(.*)$/;
const EXPECT = /^<!--\s*expect:\s*(.*?)\s*-->$/;

/** Every runnable block of one Markdown document, in order. */
export function runnableBlocks(file: string, markdown: string): RunnableBlock[] {
  const lines = markdown.split('\n');
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) continue;
    const end = lines.findIndex((line, j) => j > i && /^```\s*$/.test(line));
    if (end === -1) throw new Error(`${file}:${i + 1}: a code fence is never closed`);
    const [, lang = '', rest = ''] = open;
    if (rest.split(/\s+/).includes('runnable')) {
      if (lang !== 'sh' && lang !== 'ts') {
        throw new Error(`${file}:${i + 1}: runnable blocks are sh or ts, not "${lang}"`);
      }
      let above = i - 1;
      while (above >= 0 && (lines[above] ?? '').trim() === '') above -= 1;
      const expect = EXPECT.exec((lines[above] ?? '').trim())?.[1];
      blocks.push({ file, line: i + 1, lang, code: lines.slice(i + 1, end).join('\n'), expect });
    }
    i = end;
  }
  return blocks;
}

/** Markdown files under `dir` (relative to the root), recursively, as root-relative paths. */
export function markdownFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(path.join(ROOT, relative), { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.md')) found.push(child);
    }
  };
  walk(dir);
  return found.sort();
}

export function readDoc(file: string): string {
  return readFileSync(path.join(ROOT, file), 'utf8');
}

/** The text of a document outside its fenced code blocks (links in code are not links). */
export function proseOf(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```\s*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Mermaid blocks of a document. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```\s*$/gm)].map((match) => match[1] ?? '');
}
