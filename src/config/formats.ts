/** Value checks shared by the configuration schema's parts. */

export function assertPositiveInt(value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error('must be a positive whole number');
  }
}

/** At least `min` (a whole number). */
export function assertAtLeast(value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(`must be a whole number of at least ${min}`);
  }
}

/** One http(s) base URL or several separated by commas; empty for the default. */
export function assertHostUrls(value: unknown): void {
  if (typeof value !== 'string') throw new Error('must be a string');
  if (value.trim() === '') return;
  for (const part of value.split(',')) {
    const url = part.trim();
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new Error(
        `"${url}" is not an http(s) URL: give base URLs such as http://10.0.0.5:8787, separated by commas`,
      );
    }
  }
}
