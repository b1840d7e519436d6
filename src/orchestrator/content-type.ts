import path from 'node:path';

/**
 * Content types of workspace files, for the files API. A table of our own rather than mime-db:
 * that one is made for the web and calls `.ts` MPEG video and `.rs` an XML format, while a coding
 * workspace is mostly source code that a browser should show as text.
 */

const TEXT = '; charset=utf-8';

/** Content types by extension; the text ones carry a charset, anything unknown is binary. */
const CONTENT_TYPES: Record<string, string> = {
  // Plain text, documents and data
  '.txt': `text/plain${TEXT}`,
  '.log': `text/plain${TEXT}`,
  '.md': `text/markdown${TEXT}`,
  '.markdown': `text/markdown${TEXT}`,
  '.rst': `text/x-rst${TEXT}`,
  '.csv': `text/csv${TEXT}`,
  '.tsv': `text/tab-separated-values${TEXT}`,
  '.html': `text/html${TEXT}`,
  '.htm': `text/html${TEXT}`,
  '.css': `text/css${TEXT}`,
  '.xml': `application/xml${TEXT}`,
  '.json': `application/json${TEXT}`,
  '.jsonl': `application/jsonl${TEXT}`,
  '.ndjson': `application/x-ndjson${TEXT}`,
  '.yaml': `application/yaml${TEXT}`,
  '.yml': `application/yaml${TEXT}`,
  '.toml': `application/toml${TEXT}`,
  '.ini': `text/plain${TEXT}`,
  '.cfg': `text/plain${TEXT}`,
  '.conf': `text/plain${TEXT}`,
  '.svg': `image/svg+xml${TEXT}`,
  // Source code
  '.js': `text/javascript${TEXT}`,
  '.mjs': `text/javascript${TEXT}`,
  '.cjs': `text/javascript${TEXT}`,
  '.jsx': `text/javascript${TEXT}`,
  '.ts': `text/typescript${TEXT}`,
  '.mts': `text/typescript${TEXT}`,
  '.cts': `text/typescript${TEXT}`,
  '.tsx': `text/typescript${TEXT}`,
  '.py': `text/x-python${TEXT}`,
  '.rb': `text/x-ruby${TEXT}`,
  '.go': `text/x-go${TEXT}`,
  '.rs': `text/x-rust${TEXT}`,
  '.java': `text/x-java${TEXT}`,
  '.kt': `text/x-kotlin${TEXT}`,
  '.c': `text/x-c${TEXT}`,
  '.h': `text/x-c${TEXT}`,
  '.cc': `text/x-c++${TEXT}`,
  '.cpp': `text/x-c++${TEXT}`,
  '.hpp': `text/x-c++${TEXT}`,
  '.cs': `text/x-csharp${TEXT}`,
  '.php': `text/x-php${TEXT}`,
  '.sh': `text/x-shellscript${TEXT}`,
  '.bash': `text/x-shellscript${TEXT}`,
  '.sql': `application/sql${TEXT}`,
  // Binary formats a task may produce
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tgz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.mp4': 'video/mp4',
};

/** Extensionless names that are text by convention. */
const TEXT_NAMES = new Set(['makefile', 'dockerfile', 'license', 'readme', 'procfile', 'gemfile']);

/** The content type for a file name, from its extension (case-insensitive). */
export function contentTypeOf(filePath: string): string {
  const name = path.posix.basename(filePath).toLowerCase();
  const known = CONTENT_TYPES[path.posix.extname(name)];
  if (known !== undefined) return known;
  // Dotfiles (.gitignore, .editorconfig) and conventional names are text.
  if (TEXT_NAMES.has(name) || (name.startsWith('.') && !name.slice(1).includes('.'))) {
    return `text/plain${TEXT}`;
  }
  return 'application/octet-stream';
}
