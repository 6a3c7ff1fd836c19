/**
 * Request context: values such as the acting user and the tenant, carried
 * through async calls in AsyncLocalStorage so hooks and field defaults can
 * read them without parameters.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The values `withContext()` carries. Add keys of your own with declaration
 * merging:
 *
 * @example
 * declare module "@chakra-orm/core" {
 *   interface RequestContext { requestId?: string }
 * }
 */
export interface RequestContext {
  /** The user or service performing the change, stored as a string by the audit fields. */
  actor?: string | number | null;
  /** The tenant the request acts for. */
  tenant?: string | number | null;
}

const CONTEXT_SLOT = Symbol.for("chakra-orm.request-context");

// One store shared by the ESM and the CJS build, like the transaction store.
function contextStorage(): AsyncLocalStorage<Readonly<RequestContext>> {
  const slot = globalThis as unknown as Record<symbol, AsyncLocalStorage<Readonly<RequestContext>> | undefined>;
  slot[CONTEXT_SLOT] ??= new AsyncLocalStorage<Readonly<RequestContext>>();

  return slot[CONTEXT_SLOT];
}

const EMPTY: Readonly<RequestContext> = Object.freeze({});

/**
 * Runs `fn` with `context` as the current context and returns its result.
 * A nested call reads the outer values merged with its own, and the outer
 * context is back in place once `fn` settles.
 *
 * @example
 * await withContext({ actor: user.id, tenant: "acme" }, () => post.save());
 */
export function withContext<T>(context: RequestContext, fn: () => T): T {
  const merged = Object.freeze({ ...currentContext(), ...context });

  return contextStorage().run(merged, fn);
}

/** Returns the current context, a frozen empty object outside `withContext()`. */
export function currentContext(): Readonly<RequestContext> {
  return contextStorage().getStore() ?? EMPTY;
}
