/** The parts of a V8 `.cpuprofile` (what `node --cpu-prof` writes) that a summary needs. */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs since the previous sample, one per sample. */
  timeDeltas: number[];
}

/**
 * Where a script's code comes from: the npm package under node_modules, a Node built-in, a
 * project file, or V8's own bucket ("(garbage collector)", "(program)").
 */
export function moduleOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node: built-ins';
  const packagePath = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packagePath) return packagePath[1] as string;
  const file = url.replace(/^file:\/\//, '');
  const project = /\/(src|functions|bin|dist|tests)\/.*$/.exec(file);
  return project ? project[0].slice(1) : path(file);
}

const path = (file: string): string => file.split('/').slice(-2).join('/');

/** Self time (ms) per key, largest first, the first `top` of them. */
function ranked(totals: Map<string, number>, top: number): [string, number][] {
  return [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
}

/** Top self time by module and by function, as text: what dominates the profiled start. */
export function summarizeProfile(profile: CpuProfile, options: { top?: number } = {}): string {
  const top = options.top ?? 10;
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const frame = byId.get(id);
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    if (!frame) return;
    total += ms;
    const module = moduleOf(frame.url, frame.functionName);
    byModule.set(module, (byModule.get(module) ?? 0) + ms);
    const name = `${frame.functionName || '(anonymous)'} ${module}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  });
  const lines = (rows: [string, number][]): string[] =>
    rows.map(
      ([name, ms]) =>
        `  ${ms.toFixed(1).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${name}`,
    );
  return [
    `profile: ${total.toFixed(0)} ms sampled`,
    'self time by module:',
    ...lines(ranked(byModule, top)),
    'self time by function:',
    ...lines(ranked(byFunction, top)),
  ].join('\n');
}
