/**
 * Cuts text longer than `maxBytes` (UTF-8) to its head and tail around a marker, so the model
 * sees both how output began and how it ended (where errors usually are).
 */
export function capText(text: string, maxBytes: number): { text: string; omittedBytes: number } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, omittedBytes: 0 };
  const half = Math.max(0, Math.floor(maxBytes / 2));
  const headEnd = charBoundary(bytes, half);
  const tailStart = charBoundary(bytes, bytes.length - half);
  const omittedBytes = tailStart - headEnd;
  const head = bytes.subarray(0, headEnd).toString('utf8');
  const tail = bytes.subarray(tailStart).toString('utf8');
  return { text: `${head}\n…[${omittedBytes} bytes omitted]…\n${tail}`, omittedBytes };
}

/** Moves `index` back to the start of a UTF-8 character so no character is split in two. */
function charBoundary(bytes: Buffer, index: number): number {
  let i = index;
  while (i > 0 && i < bytes.length && ((bytes[i] ?? 0) & 0b1100_0000) === 0b1000_0000) i -= 1;
  return i;
}
