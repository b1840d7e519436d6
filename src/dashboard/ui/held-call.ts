import type { HeldCall } from '../../client/approval.js';

/**
 * A tool call held for approval, as the run page shows it: the tool, the command it would run or
 * the path it would touch (what a person checks first), its long texts (a file's new content, an
 * edit's old and new text) folded and cut, and why it waits. No DOM here: the page draws this.
 */

/** How much of a long text the page shows before cutting it (the model turns hold it whole). */
export const SHOWN_LINES = 40;
export const SHOWN_CHARS = 4_000;

export interface HeldText {
  /** The argument's name: content, oldText, newText… */
  name: string;
  /** What the page shows: the first lines, at most SHOWN_CHARS characters. */
  shown: string;
  lines: number;
  chars: number;
  cut: boolean;
}

export interface HeldCallView {
  id: string;
  tool: string;
  target: { kind: 'command' | 'path'; text: string } | null;
  texts: HeldText[];
  /** The other arguments as JSON; null when there are none. */
  rest: string | null;
  reason: string;
}

export function heldCallView(held: HeldCall): HeldCallView {
  const args = held.args;
  const base = { id: held.id, tool: held.name, reason: held.reason };
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    const json = JSON.stringify(args ?? null);
    return { ...base, target: null, texts: [], rest: json === 'null' ? null : json };
  }
  const fields = { ...(args as Record<string, unknown>) };
  let target: HeldCallView['target'] = null;
  for (const kind of ['command', 'path'] as const) {
    if (target === null && typeof fields[kind] === 'string') {
      target = { kind, text: fields[kind] };
      delete fields[kind];
    }
  }
  const texts: HeldText[] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== 'string') continue;
    texts.push(heldText(name, value));
    delete fields[name];
  }
  const rest = Object.keys(fields).length === 0 ? null : JSON.stringify(fields, null, 2);
  return { ...base, target, texts, rest };
}

export function heldText(name: string, text: string): HeldText {
  const lines = text === '' ? 0 : text.split('\n').length;
  let shown = text.split('\n').slice(0, SHOWN_LINES).join('\n');
  if (shown.length > SHOWN_CHARS) shown = shown.slice(0, SHOWN_CHARS);
  return { name, shown, lines, chars: text.length, cut: shown.length < text.length };
}

/** "content — 120 lines, 1,091 characters". */
export function describeText(text: HeldText): string {
  const lines = `${text.lines.toLocaleString('en')} line${text.lines === 1 ? '' : 's'}`;
  const chars = `${text.chars.toLocaleString('en')} character${text.chars === 1 ? '' : 's'}`;
  return `${text.name} — ${lines}, ${chars}`;
}

/** What a cut text says under it: how much shows, and where the rest is. */
export function cutNote(text: HeldText): string {
  const where = "The whole text is in the model's turn under Model turns.";
  const n = (count: number): string => count.toLocaleString('en');
  if (text.shown.length >= SHOWN_CHARS) {
    return `Cut: the first ${n(text.shown.length)} of ${n(text.chars)} characters shown. ${where}`;
  }
  const shownLines = text.shown.split('\n').length;
  return `Cut: the first ${n(shownLines)} of ${n(text.lines)} lines shown. ${where}`;
}

/** How long a wait is, in the unit a person reads it in: "90 s", "30 min", "24 h". */
export function waitSpan(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  const hours = ms / 3_600_000;
  return `${Number.isInteger(hours) ? hours : hours.toFixed(1)} h`;
}
