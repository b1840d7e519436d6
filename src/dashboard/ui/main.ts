// The dashboard's browser entry point, bundled by esbuild when the orchestrator first serves it.
import './no-eval.js';
import { storedIdentity, storedKey, storeKey } from './api.js';
import { h, route, show } from './dom.js';
import { renderFiles } from './files.js';
import { renderLogs } from './logs.js';
import { renderRun } from './run-view.js';
import { renderRuns } from './runs.js';
import { renderSignIn } from './sign-in.js';
import { renderSubmit } from './submit.js';
import { renderSystem } from './system.js';
import type { Page } from './types.js';

const PAGES: Record<string, Page> = {
  runs: renderRuns,
  new: renderSubmit,
  run: renderRun,
  files: renderFiles,
  system: renderSystem,
  logs: renderLogs,
};

/** Page, label, and whether only an admin key is shown the link. */
const NAV: [string, string, boolean][] = [
  ['runs', 'Runs', false],
  ['new', 'New task', false],
  ['system', 'System', true],
  ['logs', 'Logs', false],
];

const view = h('main', { id: 'view' });
const nav = h('nav', { class: 'nav' });
let stop: (() => void) | void;

function draw(): void {
  stop?.();
  stop = undefined;
  const [pathPart = '', queryPart = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name = '', ...args] = pathPart.split('/').map(decodeURIComponent);
  const signedIn = storedKey() !== null;
  const page = signedIn ? PAGES[name === '' ? 'runs' : name] : undefined;
  drawNav(signedIn, name || 'runs');
  window.scrollTo(0, 0);
  if (!page) {
    if (signedIn && name !== 'sign-in') location.hash = route('runs');
    else show(view, renderSignIn());
    return;
  }
  stop = page(view, args, new URLSearchParams(queryPart));
}

function drawNav(signedIn: boolean, current: string): void {
  const identity = storedIdentity();
  const admin = identity?.admin === true;
  const links = signedIn
    ? NAV.filter(([, , adminOnly]) => admin || !adminOnly).map(([name, label]) =>
        h('a', { href: route(name), 'aria-current': name === current ? 'page' : undefined }, label),
      )
    : [];
  const who =
    signedIn && identity
      ? h(
          'span',
          { class: 'signed-in', id: 'signed-in-as' },
          `${identity.name}${identity.team ? ` (${identity.team})` : ''}${admin ? ' · admin' : ''}`,
        )
      : null;
  const signOut = signedIn
    ? h(
        'button',
        {
          type: 'button',
          class: 'link',
          onclick: () => {
            storeKey(null);
            location.hash = route('sign-in');
          },
        },
        'Sign out',
      )
    : null;
  show(nav, h('span', { class: 'brand' }, 'Atölye Şefi'), ...links, who, signOut);
}

document.body.replaceChildren(h('header', { class: 'top' }, nav), view);
window.addEventListener('hashchange', draw);
draw();
