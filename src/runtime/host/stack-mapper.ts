import { readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A stack frame's location: `file:///…/index.mjs:12:345` or `/…/index.mjs:12:345`. */
const LOCATION = /(file:\/\/[^\s()]+|\/[^\s():]+):(\d+):(\d+)/g;

/**
 * Rewrites a worker's stack traces from bundle positions to the source they came from, reading
 * the bundle's source map (`<bundle>.map`, written by the build) the first time a stack needs it.
 * Workers run without `--enable-source-maps`, which parses the whole map at every start (≈ 35 MB
 * and 65 ms for a model step); stacks are rare, so the host maps them instead. A location that is
 * not in the bundle, or a bundle without a readable map, is left as it was.
 */
export class StackMapper {
  private map: SourceMap | null | undefined;

  constructor(private readonly bundlePath: string) {}

  mapStack(stack: string): string {
    if (!stack.includes(path.basename(this.bundlePath))) return stack;
    return stack.replace(LOCATION, (whole, file: string, line: string, column: string) => {
      const filePath = file.startsWith('file://') ? fileURLToPath(file) : file;
      if (filePath !== this.bundlePath) return whole;
      const map = this.sourceMap();
      const entry = map?.findEntry(Number(line) - 1, Number(column) - 1);
      if (entry === undefined || !('originalSource' in entry)) return whole;
      const source = path.resolve(path.dirname(this.bundlePath), entry.originalSource);
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
  }

  private sourceMap(): SourceMap | null {
    if (this.map === undefined) {
      try {
        const payload = JSON.parse(readFileSync(`${this.bundlePath}.map`, 'utf8')) as unknown;
        this.map = new SourceMap(payload as SourceMapPayload);
      } catch {
        this.map = null; // No map, or not one: the stack keeps the bundle's positions.
      }
    }
    return this.map;
  }
}
