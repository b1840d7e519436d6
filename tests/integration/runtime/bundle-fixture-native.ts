// A fixture function's route to a real native package (better-sqlite3 has a binding.gyp).
export { default as Database } from 'better-sqlite3';
