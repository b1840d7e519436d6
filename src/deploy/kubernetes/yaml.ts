/**
 * A small deterministic YAML writer for the plain data the targets generate (objects, arrays,
 * strings, numbers, booleans). Keys keep their insertion order; strings are quoted whenever YAML
 * could read them as something else; multi-line strings become literal blocks.
 */
export type YamlValue =
  string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

export function toYaml(value: YamlValue): string {
  return `${render(value, 0).replace(/^\n/, '')}\n`;
}

/** Several documents in one file, separated by `---`. */
export function toYamlDocuments(values: readonly YamlValue[]): string {
  return values.map((value) => toYaml(value)).join('---\n');
}

function render(value: YamlValue, indent: number): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value
      .map((item) => {
        const inner = render(item, indent + 2);
        // "- key: v" on the dash line; nested lines keep the item's indentation.
        return isBlock(item) ? `\n${pad}- ${inner.trimStart()}` : `\n${pad}-${inner}`;
      })
      .join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return ' {}';
    return entries
      .map(([key, item]) => `\n${pad}${scalar(key)}:${render(item, indent + 2)}`)
      .join('');
  }
  if (typeof value === 'string' && value.includes('\n')) {
    const chomp = value.endsWith('\n') ? '' : '-';
    const lines = value.replace(/\n$/, '').split('\n');
    return ` |${chomp}${lines.map((line) => (line === '' ? '\n' : `\n${pad}${line}`)).join('')}`;
  }
  return ` ${scalar(value)}`;
}

function isBlock(value: YamlValue): boolean {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0
  );
}

const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./@-]*$/;
const AMBIGUOUS =
  /^(true|false|yes|no|on|off|null|y|n|~|[-+]?[0-9._]+([eE][-+]?[0-9]+)?|0x[0-9a-f]+|0o[0-7]+)$/i;

function scalar(value: string | number | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value !== 'string') return String(value);
  if (PLAIN.test(value) && !AMBIGUOUS.test(value)) return value;
  // Single quotes, as the project's prettier writes them, unless the text needs escapes.
  const needsEscapes = value.includes("'") || value.includes('\\') || hasControl(value);
  return needsEscapes ? JSON.stringify(value) : `'${value}'`;
}

function hasControl(value: string): boolean {
  return [...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
}
