/**
 * Applies and rolls back migrations on a database, recording each one in
 * the `chakra_migrations` table.
 */
import type { Database } from "../database.js";
import type { CompiledQuery, Dialect } from "../dialect.js";
import { MigrationError } from "./errors.js";
import { inverseOperations } from "./inverse.js";
import { replay, type LoadedMigration } from "./loader.js";
import { withMigrationLock } from "./lock.js";
import { MysqlSchemaEditor } from "./mysql-schema-editor.js";
import { applyOperation, describeOperation, type Operation } from "./operations.js";
import { SchemaEditor } from "./schema-editor.js";
import { SqliteSchemaEditor } from "./sqlite-schema-editor.js";
import { cloneState, type SchemaState } from "./state.js";

export const MIGRATIONS_TABLE = "chakra_migrations";

/** Returns the schema editor for a dialect, by its name. */
export function editorFor(dialect: Dialect): SchemaEditor {
  switch (dialect.name) {
    case "sqlite":
      return new SqliteSchemaEditor(dialect);
    case "mysql":
      return new MysqlSchemaEditor(dialect);
    default:
      return new SchemaEditor(dialect);
  }
}

export interface MigrationStatus {
  name: string;
  file?: string;
  applied: boolean;
  appliedAt?: string;
  /** True when an applied migration's file no longer has the recorded checksum. */
  changed: boolean;
  /** True when the database records a migration that has no file. */
  missing: boolean;
}

export interface MigrateOptions {
  /** A migration name to move to, or "zero" to roll everything back. Default: the last one. */
  target?: string;
  /** Record or unrecord the migrations without running their SQL. */
  fake?: boolean;
  /** How long to wait for another migrate run to finish, in milliseconds. Default 60000. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  applied: string[];
  reverted: string[];
}

interface Step {
  migration: LoadedMigration;
  index: number;
  direction: "forward" | "backward";
}

export class Migrator {
  readonly editor: SchemaEditor;

  constructor(
    readonly db: Database,
    readonly migrations: readonly LoadedMigration[],
    readonly log: (line: string) => void = () => undefined,
  ) {
    this.editor = editorFor(db.dialect);
  }

  /** Creates the record table if it is missing. */
  async ensureTable(): Promise<void> {
    const definitions = [
      this.editor.columnDefinition({ name: "name", kind: "string", maxLength: 255, primaryKey: true }),
      this.editor.columnDefinition({ name: "checksum", kind: "string", maxLength: 64 }),
      this.editor.columnDefinition({ name: "applied_at", kind: "string", maxLength: 32 }),
    ];
    const suffix = this.db.dialect.compiler.createTableSuffix();

    await this.#run(`create table if not exists ${this.editor.q(MIGRATIONS_TABLE)} (${definitions.join(", ")})${suffix}`);
  }

  /** Applied migrations by name, from the record table. */
  async appliedRecords(): Promise<Map<string, { checksum: string; appliedAt: string }>> {
    await this.ensureTable();
    const compiled = this.#select();
    const result = await this.db.execute(compiled, { rowMode: "object", returnsRows: true });
    const records = new Map<string, { checksum: string; appliedAt: string }>();

    for (const row of result.rows as Record<string, unknown>[]) {
      records.set(String(row.name), { checksum: String(row.checksum), appliedAt: String(row.applied_at) });
    }

    return records;
  }

  /** Every migration on disk or in the record table, in order, with its status. */
  async status(): Promise<MigrationStatus[]> {
    const records = await this.appliedRecords();
    const list: MigrationStatus[] = this.migrations.map((item) => {
      const record = records.get(item.name);

      return {
        name: item.name,
        file: item.file,
        applied: record !== undefined,
        appliedAt: record?.appliedAt,
        changed: record !== undefined && record.checksum !== item.checksum,
        missing: false,
      };
    });

    for (const [name, record] of records) {
      if (!this.migrations.some((item) => item.name === name)) {
        list.push({ name, applied: true, appliedAt: record.appliedAt, changed: false, missing: true });
      }
    }

    return list;
  }

  /** Names of migrations that are on disk but not applied. */
  async pending(): Promise<string[]> {
    return (await this.status()).filter((item) => !item.applied).map((item) => item.name);
  }

  /**
   * Applies pending migrations, or moves to `options.target`, forward or
   * back. Concurrent runs wait for each other through a database lock.
   * Raises a MigrationError naming the migration and operation that failed.
   */
  async migrate(options: MigrateOptions = {}): Promise<MigrateResult> {
    const result: MigrateResult = { applied: [], reverted: [] };
    let failure: unknown;

    await withMigrationLock(this.db, options.lockTimeoutMs ?? 60_000, async () => {
      const steps = await this.#plan(options.target);

      for (const step of steps) {
        try {
          await this.#runStep(step, options.fake === true);
        } catch (error) {
          failure = error;
          break;
        }

        (step.direction === "forward" ? result.applied : result.reverted).push(step.migration.name);
      }
    });

    if (failure) {
      throw failure;
    }

    return result;
  }

  /** The SQL that applying (or, with `backwards`, rolling back) a migration runs. */
  sql(name: string, backwards = false): string[] {
    const index = this.#indexOf(name);
    const migration = this.migrations[index] as LoadedMigration;
    const lines: string[] = [];

    for (const { operation, statements } of this.#statements(migration, index, backwards ? "backward" : "forward")) {
      lines.push(`-- ${describeOperation(operation)}`);
      lines.push(...(operation.type === "runCode" ? ["-- (runs JavaScript; no SQL to show)"] : statements.map((item) => `${item};`)));
    }

    return lines;
  }

  async #plan(target: string | undefined): Promise<Step[]> {
    const status = await this.status();
    const changed = status.filter((item) => item.changed);

    if (changed.length > 0) {
      const files = changed.map((item) => item.file).join(", ");
      throw new MigrationError(
        `Applied migration file ${files} changed since it was applied (its checksum differs from the one in ${MIGRATIONS_TABLE}). Restore the file from version control and put new changes in a new migration.`,
        { code: "checksum", file: changed[0]?.file, migration: changed[0]?.name },
      );
    }

    const applied = new Set(status.filter((item) => item.applied).map((item) => item.name));
    const last = target === undefined ? this.migrations.length - 1 : target === "zero" ? -1 : this.#indexOf(target);
    const steps: Step[] = [];
    const missing = status.filter((item) => item.missing);

    if (missing.length > 0 && target !== undefined) {
      throw new MigrationError(
        `The database records migrations with no file: ${missing.map((item) => item.name).join(", ")}. Restore those files before migrating to a named migration.`,
        { code: "not-found", migration: missing[0]?.name },
      );
    }

    for (let index = this.migrations.length - 1; index > last; index -= 1) {
      const migration = this.migrations[index] as LoadedMigration;

      if (applied.has(migration.name)) {
        steps.push({ migration, index, direction: "backward" });
      }
    }

    for (let index = 0; index <= last; index += 1) {
      const migration = this.migrations[index] as LoadedMigration;

      if (!applied.has(migration.name)) {
        steps.push({ migration, index, direction: "forward" });
      }
    }

    return steps;
  }

  #indexOf(name: string): number {
    const index = this.migrations.findIndex((item) => item.name === name || item.name.startsWith(`${name}_`));

    if (index < 0) {
      throw new MigrationError(
        `Migration "${name}" not found. Known migrations: ${this.migrations.map((item) => item.name).join(", ") || "none"}.`,
        { code: "not-found", migration: name },
      );
    }

    return index;
  }

  /** Pairs each operation to run with its SQL, replaying the state as it goes. */
  #statements(
    migration: LoadedMigration,
    index: number,
    direction: "forward" | "backward",
  ): { operation: Operation; statements: string[] }[] {
    const states: SchemaState[] = [replay(this.migrations.slice(0, index))];

    for (const operation of migration.operations) {
      const next = cloneState(states[states.length - 1] as SchemaState);
      applyOperation(next, operation);
      states.push(next);
    }

    const pairs: { operation: Operation; statements: string[] }[] = [];

    if (direction === "forward") {
      migration.operations.forEach((operation, position) => {
        const before = states[position] as SchemaState;
        const after = states[position + 1] as SchemaState;
        pairs.push({ operation, statements: this.#forward(migration, operation, before, after) });
      });

      return pairs;
    }

    for (let position = migration.operations.length - 1; position >= 0; position -= 1) {
      const operation = migration.operations[position] as Operation;
      let current = cloneState(states[position + 1] as SchemaState);

      for (const inverse of this.#inverse(migration, operation, states[position] as SchemaState)) {
        const next = cloneState(current);
        applyOperation(next, inverse);
        pairs.push({ operation: inverse, statements: this.#forward(migration, inverse, current, next) });
        current = next;
      }
    }

    return pairs;
  }

  #forward(migration: LoadedMigration, operation: Operation, before: SchemaState, after: SchemaState): string[] {
    try {
      return this.editor.forward(operation, before, after);
    } catch (error) {
      throw this.#wrap(error, migration, operation);
    }
  }

  #inverse(migration: LoadedMigration, operation: Operation, before: SchemaState): Operation[] {
    try {
      return inverseOperations(operation, before);
    } catch (error) {
      throw this.#wrap(error, migration, operation);
    }
  }

  async #runStep(step: Step, fake: boolean): Promise<void> {
    const { migration, direction } = step;
    const pairs = this.#statements(migration, step.index, direction);
    this.log(`${direction === "forward" ? "Applying" : "Rolling back"} ${migration.name}${fake ? " (fake)" : ""}...`);
    const started = Date.now();

    const body = async () => {
      if (!fake) {
        for (const { operation, statements } of pairs) {
          await this.#runOperation(migration, operation, statements);
        }

        await this.#checkForeignKeys(migration);
      }

      await this.#record(migration, direction);
    };

    const atomic = this.db.dialect.capabilities.transactionalDdl && migration.atomic;

    if (atomic) {
      await this.db.transaction(body);
    } else {
      await body();
    }

    this.log(`  done in ${Date.now() - started} ms`);
  }

  async #runOperation(migration: LoadedMigration, operation: Operation, statements: string[]): Promise<void> {
    this.log(`  ${describeOperation(operation)}`);

    try {
      if (operation.type === "runCode") {
        await operation.forward(this.db);

        return;
      }

      for (const statement of statements) {
        await this.#run(statement);
      }
    } catch (error) {
      throw this.#wrap(error, migration, operation);
    }
  }

  /** SQLite runs migrations with foreign_keys off, so it checks the keys afterwards. */
  async #checkForeignKeys(migration: LoadedMigration): Promise<void> {
    if (this.db.dialect.name !== "sqlite") {
      return;
    }

    const result = await this.db.execute(
      { sql: "pragma foreign_key_check", params: [] },
      { rowMode: "object", returnsRows: true },
    );
    const rows = result.rows as { table: string; rowid: unknown; parent: string }[];

    if (rows.length > 0) {
      const sample = rows.slice(0, 5).map((row) => `${row.table} row ${String(row.rowid)} -> ${row.parent}`);
      throw new MigrationError(
        `Migration ${migration.name} left ${rows.length} rows whose foreign keys point at missing rows (${sample.join("; ")}). It was rolled back; fix the data (for example with an op.runCode step) and migrate again.`,
        { code: "operation", migration: migration.name, file: migration.file, dialect: "sqlite" },
      );
    }
  }

  async #record(migration: LoadedMigration, direction: "forward" | "backward"): Promise<void> {
    const { compiler } = this.db.dialect;
    const table = this.editor.q(MIGRATIONS_TABLE);
    const query: CompiledQuery =
      direction === "forward"
        ? {
            sql: `insert into ${table} (${this.editor.columnList(["name", "checksum", "applied_at"])}) values (${compiler.placeholder(1)}, ${compiler.placeholder(2)}, ${compiler.placeholder(3)})`,
            params: [migration.name, migration.checksum, new Date().toISOString()],
          }
        : {
            sql: `delete from ${table} where ${this.editor.q("name")} = ${compiler.placeholder(1)}`,
            params: [migration.name],
          };

    await this.db.execute(query, { rowMode: "array", returnsRows: false });
  }

  #select(): CompiledQuery {
    const columns = this.editor.columnList(["name", "checksum", "applied_at"]);

    return { sql: `select ${columns} from ${this.editor.q(MIGRATIONS_TABLE)} order by ${this.editor.q("name")}`, params: [] };
  }

  async #run(statement: string): Promise<void> {
    await this.db.execute({ sql: statement, params: [] }, { rowMode: "array", returnsRows: false });
  }

  #wrap(error: unknown, migration: LoadedMigration, operation: Operation): MigrationError {
    if (error instanceof MigrationError && error.migration) {
      return error;
    }

    const where = describeOperation(operation);
    const dialect = this.db.dialect;
    const aftermath = dialect.capabilities.transactionalDdl && migration.atomic
      ? "The migration was rolled back."
      : `${dialect.name} commits DDL as it runs, so the operations before this one stay applied; undo them by hand before migrating again.`;

    return new MigrationError(
      `Migration ${migration.name} (${migration.file}) failed at ${where} on ${dialect.name}: ${(error as Error).message} ${aftermath}`,
      {
        code: error instanceof MigrationError ? error.code : "operation",
        migration: migration.name,
        file: migration.file,
        operation: where,
        dialect: dialect.name,
        cause: error,
      },
    );
  }
}
