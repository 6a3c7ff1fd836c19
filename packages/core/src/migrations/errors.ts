import { ChakraError, type ChakraErrorOptions } from "../errors.js";

/** Why a migration command failed, so a CLI can map it to an exit code. */
export type MigrationErrorCode =
  | "state"
  | "load"
  | "checksum"
  | "lock"
  | "irreversible"
  | "operation"
  | "not-found"
  | "conflict";

export interface MigrationErrorOptions extends ChakraErrorOptions {
  code: MigrationErrorCode;
  /** The migration's name, such as `0002_add_posts_slug`. */
  migration?: string;
  /** The migration file's path. */
  file?: string;
  /** The failing operation, as described in `showmigrations` and errors. */
  operation?: string;
}

/** Raised by makemigrations, migrate and the other migration commands. */
export class MigrationError extends ChakraError {
  readonly code: MigrationErrorCode;
  readonly migration?: string;
  readonly file?: string;
  readonly operation?: string;

  constructor(message: string, options: MigrationErrorOptions) {
    super(message, options);
    this.code = options.code;
    this.migration = options.migration;
    this.file = options.file;
    this.operation = options.operation;
  }
}

/** Raised when replaying operations meets a table or column that the state lacks. */
export class MigrationStateError extends MigrationError {
  constructor(message: string) {
    super(message, { code: "state" });
  }
}
