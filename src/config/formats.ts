/** Value checks shared by the configuration schema's parts. */

export function assertPositiveInt(value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error('must be a positive whole number');
  }
}
