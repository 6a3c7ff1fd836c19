export { rollback, withRollback, RollbackFailedError } from "./rollback.js";
export type { DatabaseTarget } from "./rollback.js";
export { captureQueries, expectQueries, isTransactionControl, QueryCountError } from "./queries.js";
export type { CaptureOptions, CapturedQueries } from "./queries.js";
export { factory, subFactory, Factory, SubFactory, MAX_BATCH } from "./factory.js";
export type {
  FactoryAttributes,
  FactoryContext,
  FactoryOptions,
  FactoryStrategy,
  Lazy,
  ManyOverrides,
  ModelInput,
} from "./factory.js";
