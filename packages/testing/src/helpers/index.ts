export { AssignmentTracker, trackAssignments } from './assignment-tracker.js';
export { createDeferred, type Deferred } from './deferred.js';
export { RunRecorder, type RunSource, recordRuns } from './run-recorder.js';
export {
  BlockingTask,
  type BlockingTaskOptions,
  blockingTask,
  type FailingTaskOptions,
  failingTask,
  ScriptedTask,
  scriptedTask,
  type TaskCall,
  type TaskScript,
} from './scripted-task.js';
export {
  createTestServer,
  startTestServer,
  TestServer,
  type TestServerOptions,
  type TestTaskSpec,
} from './test-server.js';
export { uniqueName } from './unique-name.js';
export { type WaitForOptions, waitFor, waitForDefaults } from './wait-for.js';
export { WaitTimeoutError } from './wait-timeout-error.js';
