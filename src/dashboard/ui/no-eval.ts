import * as z from 'zod';

// The page's content-security-policy allows no eval. Zod would compile its parsers with
// `new Function` (refused here), and its probe for that is reported as a policy violation on every
// page: its parsers interpret instead. Imported first, before any schema is made.
z.config({ jitless: true });
