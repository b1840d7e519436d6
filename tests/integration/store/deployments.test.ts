import path from 'node:path';
import { DeploymentStore } from '../../../src/store/deployments.js';
import { tempDir } from '../../helpers/tmp.js';

describe('DeploymentStore (SQLite file)', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('keeps one active deployment and the history across reopening the file', () => {
    const file = path.join(dir, 'host.sqlite');
    const store = new DeploymentStore(file);
    expect(store.active()).toBeUndefined();
    store.activate('v1', { functions: ['a'] });
    store.recordFailure('v2', { functions: ['b'] }, 'health check failed');
    const third = store.activate('v3', { functions: ['c'] }, 'deploy');
    store.close();

    const reopened = new DeploymentStore(file);
    expect(reopened.active()).toEqual(third);
    expect(reopened.active()?.manifest).toEqual({ functions: ['c'] });
    expect(reopened.history().map((d) => [d.version, d.status])).toEqual([
      ['v3', 'active'],
      ['v2', 'failed'],
      ['v1', 'superseded'],
    ]);
    expect(reopened.previous()?.version).toBe('v1');
    expect(reopened.history(1)).toHaveLength(1);
    expect(reopened.get(999)).toBeUndefined();
    reopened.close();
  });

  it('skips deployments of the same version when finding the rollback target', () => {
    const store = new DeploymentStore(path.join(dir, 'host.sqlite'));
    store.activate('v1', {});
    store.activate('v2', {});
    store.activate('v2', {}, 'redeploy');
    expect(store.previous()?.version).toBe('v1');
    store.close();
  });
});
