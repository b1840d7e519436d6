/** Builds elements; every string becomes a text node, so nothing from the API is parsed as HTML. */

export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== undefined && value !== false) element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what `parent` shows. */
export function show(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A hash link to one of the dashboard's pages; every segment is encoded. */
export function route(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`;
}

/** A run's status; `label` words it where the status alone says too little ("waits for approval"). */
export function statusBadge(status: string, label = status): HTMLElement {
  return h('span', { class: `badge status-${status}`, 'data-status': status }, label);
}

export function errorBox(title: string, message: string): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert' }, h('strong', {}, title), ' ', message);
}

/**
 * An id drawn on one line, never broken in the middle (CSS cuts it with an ellipsis where it
 * does not fit); the whole id is its title, and copying it copies all of it.
 */
export function idText(id: string, href?: string): HTMLElement {
  return href === undefined
    ? h('span', { class: 'id', title: id }, id)
    : h('a', { class: 'id', title: id, href }, id);
}

export function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A byte count as the CLI and the extension word it. */
export { size as bytes } from '../../client/byte-size.js';

/**
 * Offers `blob` as a download. The API's files need the key header, which a plain link cannot
 * send: the page fetches them and hands the browser a blob URL.
 */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
