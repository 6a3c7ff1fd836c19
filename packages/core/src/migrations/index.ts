/** Migrations: operations, state, autodetection, execution and introspection. */
export { MigrationError, MigrationStateError } from "./errors.js";
export type { MigrationErrorCode } from "./errors.js";
export { migration, op, applyOperation, describeOperation } from "./operations.js";
export type { Operation, OperationType, MigrationDefinition, SqlText } from "./operations.js";
export type {
  ColumnState,
  TableState,
  SchemaState,
  IndexState,
  UniqueState,
  ForeignKeyState,
  CheckState,
  DefaultValue,
  SearchState,
} from "./state.js";
export { columnField, stableJson } from "./state.js";
export { stateFromModels, modelsToMigrate } from "./model-state.js";
export { autodetect } from "./autodetector.js";
export type { AutodetectOptions, AutodetectResult, RenameQuestion } from "./autodetector.js";
export { loadMigrations, migrationFiles, migrationName, checksumOf, replay } from "./loader.js";
export type { LoadedMigration, ModuleImporter } from "./loader.js";
export { Migrator, editorFor, MIGRATIONS_TABLE } from "./executor.js";
export type { MigrationStatus, MigrateOptions, MigrateResult } from "./executor.js";
export { SchemaEditor } from "./schema-editor.js";
export { renderMigration, suggestName } from "./writer.js";
export { introspect } from "./introspect.js";
export { renderModels } from "./model-writer.js";
