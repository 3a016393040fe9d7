import * as root from '@tasks/core';
import * as transport from '@tasks/core/transport';
import { describe, expect, it } from 'vitest';

describe('@tasks/core/transport', () => {
  it('holds the transport-author machinery, which the root entry no longer exports', () => {
    const machinery = ['Dispatcher', 'CommitTracker', 'composePush'];
    for (const name of machinery) {
      expect(Object.keys(transport)).toContain(name);
      expect(Object.keys(root)).not.toContain(name);
    }
  });

  it('leaves the task author API at the root', () => {
    for (const name of ['newTaskServer', 'newTaskServerCtx', 'TasksError', 'compose']) {
      expect(Object.keys(root)).toContain(name);
    }
  });
});
