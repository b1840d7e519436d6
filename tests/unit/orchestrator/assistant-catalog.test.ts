import path from 'node:path';
import {
  assertChangeable,
  assistantConfigurable,
  BUILT_IN_ASSISTANT,
  findAssistant,
  isBuiltIn,
} from '../../../src/orchestrator/api/assistant-catalog.js';
import { ASSISTANT_ID, ASSISTANT_UUID } from '../../../src/orchestrator/api/schemas.js';
import { assistantsOf } from '../../../src/orchestrator/assistants-store.js';
import { RunsStore } from '../../../src/orchestrator/runs-store.js';
import { THREAD_ID_RULE } from '../../../src/workspace/thread-id.js';
import { tempDir } from '../../helpers/tmp.js';

// The built-in assistant and ids no store could hold are answered without asking the store: a
// store that throws when asked proves it.
const noStore = {
  store: new Proxy(
    {},
    {
      get: () => {
        throw new Error('the store was asked');
      },
    },
  ),
} as never;
const scope = { all: true } as const;

describe('the built-in assistant', () => {
  it('answers to its name and its UUID only', async () => {
    expect(isBuiltIn(ASSISTANT_ID)).toBe(true);
    expect(isBuiltIn(ASSISTANT_UUID)).toBe(true);
    expect(isBuiltIn('agent-2')).toBe(false);
    expect(await findAssistant(noStore, ASSISTANT_ID, scope)).toBe(BUILT_IN_ASSISTANT);
    expect(await findAssistant(noStore, ASSISTANT_UUID, scope)).toBe(BUILT_IN_ASSISTANT);
    expect(await assistantConfigurable(noStore, ASSISTANT_UUID, {} as never)).toEqual({});
  });

  it('cannot be changed or deleted; another id can', () => {
    expect(() => assertChangeable(ASSISTANT_ID, 'deleted')).toThrow(
      expect.objectContaining({
        code: 'ASSISTANT_BUILT_IN',
        message: `the built-in assistant "${ASSISTANT_ID}" cannot be deleted: create a variant with POST /assistants and change that`,
      }),
    );
    expect(() => assertChangeable(ASSISTANT_UUID, 'changed')).toThrow(/cannot be changed/);
    expect(() => assertChangeable('my-variant', 'changed')).not.toThrow();
  });
});

describe('an id no store could hold', () => {
  it('is not found, with the id rule, without asking the store', async () => {
    await expect(findAssistant(noStore, 'no spaces', scope)).rejects.toMatchObject({
      code: 'ASSISTANT_NOT_FOUND',
      message: `no assistant "no spaces" (an assistant id is ${THREAD_ID_RULE}): use "${ASSISTANT_ID}", or an assistant_id from POST /assistants/search`,
    });
    expect(await assistantConfigurable(noStore, 'no spaces', {} as never)).toBeUndefined();
  });

  it('is shown cut short when long', async () => {
    const long = `${'x'.repeat(100)} y`;
    const error = (await findAssistant(noStore, long, scope).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(`no assistant "${'x'.repeat(59)}…" (an assistant id is`);
    const exact = 'x'.repeat(77) + ' '; // 80 characters once quoted: shown whole
    const whole = (await findAssistant(noStore, exact, scope).catch((e: unknown) => e)) as Error;
    expect(whole.message).toContain(`no assistant ${JSON.stringify(exact)} (`);
  });
});

describe('a variant in the store', () => {
  let root: ReturnType<typeof tempDir>;
  let store: RunsStore;
  const me = { name: 'me', team: null, admin: false } as never;

  beforeAll(async () => {
    root = tempDir('atolye-assistant-catalog-');
    store = RunsStore.inFile(path.join(root.dir, 'orchestrator.sqlite'));
    await assistantsOf(store).create({
      assistantId: 'careful',
      graphId: ASSISTANT_ID,
      name: 'careful',
      description: null,
      configurable: { approval: 'always' },
      metadata: {},
      owner: 'key:me',
    });
  });

  afterAll(async () => {
    await store.close();
    root.cleanup();
  });

  it('gives its settings to the runs that name it', async () => {
    expect(await assistantConfigurable({ store }, 'careful', me)).toEqual({ approval: 'always' });
    expect((await findAssistant({ store }, 'careful', { owners: ['key:me'] })).name).toBe(
      'careful',
    );
  });

  it('of another key, or none, is not found, without the id rule', async () => {
    expect(await assistantConfigurable({ store }, 'missing', me)).toBeUndefined();
    const other = { name: 'other', team: null, admin: false } as never;
    expect(await assistantConfigurable({ store }, 'careful', other)).toBeUndefined();
    await expect(
      findAssistant({ store }, 'careful', { owners: ['key:other'] }),
    ).rejects.toMatchObject({
      code: 'ASSISTANT_NOT_FOUND',
      message: `no assistant "careful": use "${ASSISTANT_ID}", or an assistant_id from POST /assistants/search`,
    });
  });
});
