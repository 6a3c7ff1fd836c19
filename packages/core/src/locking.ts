/** Options of `selectForUpdate()`, checked and turned into a LockNode. */
import type { LockNode } from "./ast.js";
import { ValidationError, describeValue } from "./errors.js";
import { ForeignKeyField } from "./fields.js";
import type { Scope } from "./query-builder.js";

export interface LockOptions {
  /** Raise LockNotAvailableError at once when a row is locked by another transaction. */
  nowait?: boolean;
  /** Leave out rows locked by another transaction. */
  skipLocked?: boolean;
  /**
   * Lock only these tables of the query: "self" for the queried model, or a
   * path given to selectRelated(). PostgreSQL only.
   */
  of?: readonly string[];
}

/** Checks `selectForUpdate()` options before any SQL is built. */
export function checkLockOptions(caller: string, options: LockOptions): LockNode {
  if (options.nowait && options.skipLocked) {
    throw new ValidationError(`${caller}: nowait and skipLocked exclude each other. Pass one of them.`, {
      value: options,
    });
  }

  const of = options.of ?? [];

  if (!Array.isArray(of) || of.some((name) => typeof name !== "string")) {
    throw new ValidationError(`${caller}: "of" must be a list of names such as ["self", "author"], got ${describeValue(of)}.`, {
      value: of,
    });
  }

  return { nowait: options.nowait === true, skipLocked: options.skipLocked === true, of: [...of] };
}

/**
 * Replaces the names in `lock.of` with the aliases of their tables in the
 * query: "self" is the queried model, anything else must be a path passed
 * to selectRelated(), whose join already exists in `scope`.
 */
export function resolveLockTargets(scope: Scope, lock: LockNode, selectRelated: readonly string[]): LockNode {
  if (lock.of.length === 0) {
    return lock;
  }

  const known = new Set(["self"]);

  for (const path of selectRelated) {
    const parts = path.split("__");
    parts.forEach((_part, index) => known.add(parts.slice(0, index + 1).join("__")));
  }

  const aliases = lock.of.map((name) => {
    if (!known.has(name)) {
      throw new ValidationError(
        `${scope.caller}: selectForUpdate({ of }) names "${name}", which is neither "self" nor a selectRelated() path. Valid names are ${[...known].join(", ")}.`,
        { model: scope.meta.name, value: name },
      );
    }

    return name === "self" ? scope.alias : joinedAlias(scope, name);
  });

  return { ...lock, of: aliases };
}

/** The alias of the join selectRelated() made for `path`, found by walking it again. */
function joinedAlias(scope: Scope, path: string): string {
  let alias = scope.alias;
  let meta = scope.meta;
  let prefix = "";

  for (const name of path.split("__")) {
    prefix = prefix ? `${prefix}__${name}` : name;
    const item = meta.fieldsByName.get(name);

    if (!(item instanceof ForeignKeyField)) {
      throw new ValidationError(`${scope.caller}: "${prefix}" is not a foreign key path of ${scope.meta.name}.`, {
        model: scope.meta.name,
        value: path,
      });
    }

    // The join exists already, because selectRelated() made it under this key.
    ({ alias, meta } = scope.joinForward(`$select:${prefix}`, alias, item));
  }

  return alias;
}
