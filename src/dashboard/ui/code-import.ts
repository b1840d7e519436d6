import { getJson } from './api.js';
import { bytes } from './dom.js';
import type { ApiImport } from './types.js';

/** Where a new thread's workspace comes from. */
export type CodeSource =
  { kind: 'archive'; file: File; contentType: string } | { kind: 'git'; url: string; ref: string };

const REMEMBERED = 'atolye.import.';

/**
 * The content type the import endpoint wants for `file`, from its first bytes (a name may say
 * anything); null when it is neither gzip nor zip.
 */
export async function archiveType(file: File): Promise<string | null> {
  const [first, second] = new Uint8Array(await file.slice(0, 2).arrayBuffer());
  if (first === 0x1f && second === 0x8b) return 'application/gzip';
  if (first === 0x50 && second === 0x4b) return 'application/zip';
  return null;
}

/** Fills a new thread's workspace; a refusal comes back as the API words it (an ApiError). */
export function importCode(threadId: string, source: CodeSource): Promise<ApiImport> {
  const path = `/threads/${encodeURIComponent(threadId)}/import`;
  if (source.kind === 'git') {
    const git = source.ref === '' ? { url: source.url } : { url: source.url, ref: source.ref };
    return getJson<ApiImport>(path, { method: 'POST', body: JSON.stringify({ git }) });
  }
  return getJson<ApiImport>(path, {
    method: 'POST',
    headers: { 'content-type': source.contentType },
    body: source.file,
  });
}

export function describeImport({ source, files, bytes: size }: ApiImport): string {
  const from =
    source.type === 'git' ? `${source.url} at ${source.ref}` : `a ${source.format} archive`;
  return `${files} ${files === 1 ? 'file' : 'files'}, ${bytes(size)}, from ${from}`;
}

/** The API keeps no record of an import to read back, so this tab remembers what it imported. */
export function rememberImport(result: ApiImport): void {
  sessionStorage.setItem(REMEMBERED + result.thread_id, JSON.stringify(result));
}

export function rememberedImport(threadId: string): ApiImport | undefined {
  const text = sessionStorage.getItem(REMEMBERED + threadId);
  return text === null ? undefined : (JSON.parse(text) as ApiImport);
}
