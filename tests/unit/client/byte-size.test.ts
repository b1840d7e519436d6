import { size } from '../../../src/client/byte-size.js';

test('a byte count reads in B below 1 KiB, in KiB below 1 MiB, then in MiB', () => {
  expect([0, 1023, 1024, 1536, 1024 * 1024 - 1, 1024 * 1024, 5.25 * 1024 * 1024].map(size)).toEqual(
    ['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '1024.0 KiB', '1.0 MiB', '5.3 MiB'],
  );
});
