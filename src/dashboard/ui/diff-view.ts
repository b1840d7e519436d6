import { messageOf, request } from './api.js';
import { errorBox, h, saveBlob, show } from './dom.js';
import { parseUnifiedDiff, type DiffFile, type DiffLine } from '../../client/unified-diff.js';

/** Diff lines drawn at most: past that the page slows down, and the patch has them all. */
const MAX_LINES = 5_000;

const SIGN_CLASS: Record<DiffLine['kind'], string> = {
  added: 'line-added',
  removed: 'line-removed',
  context: 'line-context',
  note: 'line-note',
};

export function drawDiffPending(target: HTMLElement): void {
  show(target, h('h2', {}, 'Changes'), h('p', { class: 'muted' }, 'Shown when the run has ended.'));
}

/** The changes one run made to its thread's workspace, file by file, and its patch to download. */
export async function drawRunDiff(
  target: HTMLElement,
  threadId: string,
  runId: string,
): Promise<void> {
  const path = `/threads/${encodeURIComponent(threadId)}`;
  const query = `?run_id=${encodeURIComponent(runId)}`;
  const files = parseUnifiedDiff(await (await request(`${path}/diff${query}`)).text());
  const problem = h('div', { class: 'problem' });
  const download = h('button', { type: 'button', id: 'download-patch' }, 'Download patch');
  download.addEventListener('click', () => {
    show(problem);
    download.disabled = true;
    request(`${path}/patch${query}`)
      .then(async (response) => saveBlob(await response.blob(), `${threadId}-${runId}.patch`))
      .catch((error: unknown) =>
        show(problem, errorBox('The patch did not download:', messageOf(error))),
      )
      .finally(() => {
        download.disabled = false;
      });
  });
  const added = files.reduce((sum, file) => sum + file.added, 0);
  const removed = files.reduce((sum, file) => sum + file.removed, 0);
  const budget = { lines: MAX_LINES };
  show(
    target,
    h(
      'div',
      { class: 'heading' },
      h('h2', {}, 'Changes of this run'),
      files.length === 0 ? null : download,
    ),
    files.length === 0
      ? h('p', { class: 'muted', id: 'no-changes' }, 'No changes.')
      : h(
          'p',
          { class: 'muted' },
          `${files.length} ${files.length === 1 ? 'file' : 'files'} changed, `,
          counts(added, removed),
        ),
    problem,
    ...files.map((file) => drawFile(file, budget)),
  );
}

function drawFile(file: DiffFile, budget: { lines: number }): HTMLElement {
  const { oldPath, newPath } = file;
  const renamed = oldPath !== null && newPath !== null && oldPath !== newPath;
  const change =
    oldPath === null ? 'added' : newPath === null ? 'deleted' : renamed ? 'renamed' : null;
  const lines = file.hunks.reduce((sum, hunk) => sum + hunk.lines.length + 1, 0);
  const shown = lines <= budget.lines;
  budget.lines -= shown ? lines : 0;
  return h(
    'details',
    { class: 'diff-file', open: true, 'data-path': newPath ?? oldPath ?? '' },
    h(
      'summary',
      {},
      h('span', { class: 'diff-name' }, renamed ? `${oldPath} → ${newPath}` : (newPath ?? oldPath)),
      change ? h('span', { class: `badge change-${change}` }, change) : null,
      file.binary ? h('span', { class: 'badge change-binary' }, 'binary') : null,
      file.binary ? null : counts(file.added, file.removed),
    ),
    file.binary
      ? h('p', { class: 'muted' }, 'A binary file: its bytes changed, and the patch carries them.')
      : file.hunks.length === 0
        ? h('p', { class: 'muted' }, 'No line changed (a rename, an empty file or a mode change).')
        : shown
          ? h(
              'pre',
              { class: 'diff-lines' },
              ...file.hunks.flatMap((hunk) => [
                h('span', { class: 'hunk-header' }, hunk.header),
                ...hunk.lines.map((line) => h('span', { class: SIGN_CLASS[line.kind] }, line.text)),
              ]),
            )
          : h(
              'p',
              { class: 'muted' },
              `${lines} lines not drawn: download the patch to read them.`,
            ),
  );
}

/** Added and removed line counts, their signs written out so colour is not the only cue. */
function counts(added: number, removed: number): HTMLElement {
  return h(
    'span',
    {
      class: 'diff-counts',
      'data-added': added,
      'data-removed': removed,
      title: `${added} ${added === 1 ? 'line' : 'lines'} added, ${removed} removed`,
    },
    h('span', { class: 'count-added' }, `+${added}`),
    ' ',
    h('span', { class: 'count-removed' }, `-${removed}`),
  );
}
