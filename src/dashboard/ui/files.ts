import { getJson, messageOf, refusalOf, request } from './api.js';
import { errorBox, h, idText, route, saveBlob, show } from './dom.js';
import type { ApiFileTree, Page } from './types.js';

/** Larger files are shown cut: the viewer is for reading, the archive for taking. */
const VIEW_BYTES = 512 * 1024;

/** The thread's workspace: its tree, one file as text, and the whole of it as tar.gz. */
export const renderFiles: Page = (view, [threadId = '', ...pathParts]) => {
  const filePath = pathParts.join('/');
  const tree = h('section', { class: 'card', id: 'file-tree' }, 'Loading files…');
  const viewer = h('section', { class: 'card', id: 'file-viewer' });
  const problem = h('div', { class: 'problem' });
  const download = h(
    'button',
    { type: 'button', id: 'download-archive' },
    'Download archive (tar.gz)',
  );
  download.addEventListener('click', () => {
    downloadArchive(threadId).catch((error: unknown) =>
      show(problem, errorBox('The archive did not download:', messageOf(error))),
    );
  });
  const heading = h('div', { class: 'heading' }, h('h1', {}, 'Workspace'));
  show(
    view,
    heading,
    h('p', { class: 'muted' }, 'Thread ', idText(threadId)),
    problem,
    h('div', { class: 'columns files' }, tree, viewer),
  );

  let stopped = false;
  // The archive is offered once the thread is known to exist: nothing is offered beside a
  // "no such thread", and the file viewer has nothing to open either.
  getJson<ApiFileTree>(`/threads/${encodeURIComponent(threadId)}/files`)
    .then(({ files }) => {
      heading.append(download);
      const entries = files.filter((entry) => entry.type === 'file');
      show(
        tree,
        h('h2', {}, `Files (${entries.length})`),
        entries.length === 0
          ? h('p', { class: 'muted' }, 'The workspace is empty.')
          : h(
              'ul',
              { class: 'tree' },
              ...entries.map((entry) =>
                h(
                  'li',
                  { class: entry.path === filePath ? 'current' : undefined },
                  h('a', { href: route('files', threadId, ...entry.path.split('/')) }, entry.path),
                  h('span', { class: 'muted' }, ` ${entry.size} B`),
                ),
              ),
            ),
      );
    })
    .then(() => {
      if (filePath === '') show(viewer, h('p', { class: 'muted' }, 'Choose a file to read it.'));
      else {
        return showFile(viewer, threadId, filePath).catch((error: unknown) =>
          show(viewer, errorBox(`Cannot open ${filePath}:`, messageOf(error))),
        );
      }
    })
    .catch((error: unknown) => {
      if (stopped) return;
      const missing = refusalOf(error)?.code === 'THREAD_NOT_FOUND';
      show(
        view,
        h('h1', {}, 'Workspace'),
        errorBox(missing ? 'No such thread:' : 'Cannot list the files:', messageOf(error)),
      );
    });
  return () => {
    stopped = true;
  };
};

async function showFile(viewer: HTMLElement, threadId: string, filePath: string): Promise<void> {
  const encoded = filePath.split('/').map(encodeURIComponent).join('/');
  const response = await request(`/threads/${encodeURIComponent(threadId)}/files/${encoded}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = utf8(bytes.subarray(0, VIEW_BYTES));
  if (text === null) {
    return show(
      viewer,
      h('h2', {}, filePath),
      h('p', {}, `A binary file of ${bytes.length} bytes.`),
    );
  }
  // Shown as text whatever its type: an HTML file the model wrote must not render here.
  show(
    viewer,
    h('h2', {}, filePath),
    h('pre', { class: 'file-content', id: 'file-content' }, text),
    bytes.length > VIEW_BYTES
      ? h('p', { class: 'muted' }, `Cut at ${VIEW_BYTES} of ${bytes.length} bytes.`)
      : null,
  );
}

function utf8(bytes: Uint8Array): string | null {
  try {
    // `stream: true` lets a character cut at the view limit pass instead of failing the file.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return null;
  }
}

async function downloadArchive(threadId: string): Promise<void> {
  const response = await request(`/threads/${encodeURIComponent(threadId)}/archive`);
  saveBlob(await response.blob(), `${threadId}.tar.gz`);
}
