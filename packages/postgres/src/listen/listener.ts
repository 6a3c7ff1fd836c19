import { EventEmitter } from "node:events";
import {
  ConnectionError,
  ValidationError,
  type Database,
  type Dialect,
} from "@chakra-orm/core";
import pg from "pg";
import { checkChannel, quoteChannel } from "./channel.js";

/** One notification as a handler receives it. */
export interface NotificationMessage {
  channel: string;
  /** The payload, or "" when NOTIFY sent none. */
  payload: string;
  /** Process id of the server backend whose transaction sent the notification. */
  processId: number;
}

/**
 * A function that receives the payloads of one channel. It may return a
 * promise, which the listener does not await: handlers run in arrival
 * order, but an async handler can still be running when the next
 * notification arrives. A throw or rejection goes to the "error" event.
 */
export type NotificationHandler = (
  payload: string,
  message: NotificationMessage,
) => unknown;

/** Reconnect settings of a listener. */
export interface ListenerOptions {
  /** Milliseconds before the first reconnect attempt. Default 100. */
  initialDelayMs?: number;
  /** Upper bound in milliseconds of the wait between two attempts, which doubles per attempt. Default 5000. */
  maxDelayMs?: number;
  /**
   * Reconnect attempts after one connection loss before the listener gives
   * up, reports a ConnectionError and closes. Default Infinity, because a
   * listener in a service should outlast a database restart.
   */
  maxAttempts?: number;
  /**
   * Milliseconds to wait for a connection before the attempt fails. Default:
   * the dialect's connectionTimeoutMillis, or 10000 for a URL or config.
   */
  connectionTimeoutMillis?: number;
}

/** Events of a PostgresListener and their arguments. */
export interface ListenerEvents {
  /** The connection was lost; reconnecting starts. */
  disconnect: [error: Error];
  /**
   * A new connection listens on every channel again. Notifications sent
   * while no connection was open are lost (PostgreSQL does not queue them
   * for a listener that is gone), so resynchronise state here.
   */
  reconnect: [attempt: number];
  /**
   * A failed reconnect attempt, a handler's error, or the final failure
   * after maxAttempts. Without an "error" listener these go to stderr, at
   * most one line every 10 seconds, instead of ending the process.
   */
  error: [error: Error];
  /** close() finished, or reconnecting gave up. */
  close: [];
}

/** Where a listener connects: a postgres Database or dialect, a URL, or a pg client config. */
export type ListenTarget = Database | Dialect | string | pg.ClientConfig;

const DEFAULT_INITIAL_DELAY_MS = 100;
const DEFAULT_MAX_DELAY_MS = 5000;
const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Listens for PostgreSQL notifications on one dedicated connection, outside
 * the dialect's pool, because a pooled connection is shared and LISTEN is a
 * session state. When the connection drops, the listener reconnects with
 * exponential backoff (bounded by maxDelayMs) and sends LISTEN for every
 * channel again. Create one with `listen()`, or construct it and call
 * `connect()`.
 *
 * @example
 * const listener = await listen(db, "comments", (payload) => console.log(payload));
 * listener.on("reconnect", () => reloadFeed());
 * await listener.close();
 */
export class PostgresListener extends EventEmitter<ListenerEvents> {
  readonly #config: pg.ClientConfig;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxAttempts: number;
  readonly #channels = new Map<string, Set<NotificationHandler>>();
  /** Clients that failed or ended before or after becoming current. */
  readonly #deadClients = new WeakSet<pg.Client>();
  #client: pg.Client | undefined;
  #processId: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #lastErrorLine = 0;
  #suppressedErrors = 0;

  constructor(target: ListenTarget, options: ListenerOptions = {}) {
    super();
    this.#config = clientConfig(target, options.connectionTimeoutMillis);
    this.#initialDelayMs = positive(
      options.initialDelayMs,
      DEFAULT_INITIAL_DELAY_MS,
      "initialDelayMs",
    );
    this.#maxDelayMs = positive(
      options.maxDelayMs,
      DEFAULT_MAX_DELAY_MS,
      "maxDelayMs",
    );
    this.#maxAttempts = positive(options.maxAttempts, Infinity, "maxAttempts");
  }

  /** True while a connection is open and listening. */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** Process id of the server backend behind the current connection, or undefined while disconnected. */
  get processId(): number | undefined {
    return this.#client === undefined ? undefined : this.#processId;
  }

  /** Channels with at least one handler. */
  get channels(): string[] {
    return [...this.#channels.keys()];
  }

  /**
   * Opens the connection and listens on the channels added so far. It
   * raises a ConnectionError when the first connection fails; reconnecting
   * applies only to a connection that was open once.
   */
  async connect(): Promise<void> {
    if (this.#closed) {
      throw new ConnectionError(
        "PostgresListener.connect(): the listener is closed. Create a new one.",
        {
          dialect: "postgres",
        },
      );
    }

    if (this.#started) {
      return;
    }

    this.#started = true;

    try {
      await this.#serial(() => this.#open());
    } catch (error) {
      this.#started = false;
      throw error;
    }
  }

  /**
   * Adds a handler for `channel` and sends LISTEN when it is the channel's
   * first. While disconnected, the channel is recorded and listened on
   * after the reconnect. Returns a function that removes this handler.
   */
  async listen(
    channel: string,
    handler: NotificationHandler,
  ): Promise<() => Promise<void>> {
    checkChannel(channel, "listen()");

    if (typeof handler !== "function") {
      throw new ValidationError(
        `listen(): the handler for channel "${channel}" must be a function.`,
        {
          dialect: "postgres",
        },
      );
    }

    await this.#serial(async () => {
      const handlers = this.#channels.get(channel);

      if (handlers) {
        handlers.add(handler);

        return;
      }

      this.#channels.set(channel, new Set([handler]));
      await this.#command(`listen ${quoteChannel(channel)}`);
    });

    return () => this.unlisten(channel, handler);
  }

  /**
   * Removes `handler` from `channel`, or every handler of it when none is
   * given, and sends UNLISTEN once the channel has no handler left.
   */
  async unlisten(
    channel: string,
    handler?: NotificationHandler,
  ): Promise<void> {
    await this.#serial(async () => {
      const handlers = this.#channels.get(channel);

      if (!handlers) {
        return;
      }

      if (handler !== undefined) {
        handlers.delete(handler);
      }

      if (handler === undefined || handlers.size === 0) {
        this.#channels.delete(channel);
        await this.#command(`unlisten ${quoteChannel(channel)}`);
      }
    });
  }

  /** Stops reconnecting, closes the connection and drops every handler. Calling it again is harmless. */
  close(): Promise<void> {
    if (this.#closing) {
      return this.#closing;
    }

    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#closing = this.#serial(async () => {
      const client = this.#client;
      this.#client = undefined;
      this.#channels.clear();

      if (client) {
        await client.end().catch(() => undefined);
      }

      this.emit("close");
    });

    return this.#closing;
  }

  /** Runs `operation` after every earlier one, so LISTEN, UNLISTEN and reconnects never interleave. */
  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(operation, operation);
    this.#queue = next.catch(() => undefined);

    return next;
  }

  /**
   * Sends LISTEN or UNLISTEN on the open connection. A connection that is
   * lost meanwhile is not an error here, because the reconnect listens on
   * the recorded channels anyway.
   */
  async #command(statement: string): Promise<void> {
    const client = this.#client;

    if (!client) {
      return;
    }

    try {
      await client.query(statement);
    } catch (error) {
      if (client === this.#client) {
        throw error;
      }
    }
  }

  /** Connects a new client, listens on every recorded channel, and makes it current. */
  async #open(): Promise<void> {
    const client = new pg.Client(this.#config);
    // Errors before the client becomes current reject connect() or query()
    // below, and an 'error' event without a listener would end the process.
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () =>
      this.#lost(client, new Error("the server closed the connection")),
    );
    client.on("notification", (message) => this.#dispatch(message));

    try {
      await client.connect();
      const result = await client.query<{ pid: number }>(
        "select pg_backend_pid() as pid",
      );

      for (const channel of this.#channels.keys()) {
        await client.query(`listen ${quoteChannel(channel)}`);
      }

      if (this.#deadClients.has(client)) {
        throw new Error("the connection closed while it was being set up");
      }

      if (this.#closed) {
        await client.end();

        return;
      }

      this.#processId = result.rows[0]?.pid;
      this.#client = client;
    } catch (error) {
      await client.end().catch(() => undefined);
      throw connectionError(
        "Connecting the LISTEN connection to PostgreSQL failed",
        error,
      );
    }
  }

  #dispatch(message: pg.Notification): void {
    const handlers = this.#channels.get(message.channel);

    if (!handlers) {
      return;
    }

    const payload = message.payload ?? "";
    const info: NotificationMessage = {
      channel: message.channel,
      payload,
      processId: message.processId,
    };

    for (const handler of [...handlers]) {
      try {
        const result = handler(payload, info);

        if (result instanceof Promise) {
          result.catch((error: unknown) => this.#report(asError(error)));
        }
      } catch (error) {
        this.#report(asError(error));
      }
    }
  }

  /** Handles an error or end event of `client`; only the current client starts a reconnect. */
  #lost(client: pg.Client, error: Error): void {
    this.#deadClients.add(client);

    if (client !== this.#client) {
      return;
    }

    this.#client = undefined;
    client.end().catch(() => undefined);

    if (this.#closed) {
      return;
    }

    this.emit(
      "disconnect",
      connectionError("The LISTEN connection to PostgreSQL was lost", error),
    );
    this.#scheduleReconnect(1);
  }

  #scheduleReconnect(attempt: number): void {
    if (this.#closed) {
      return;
    }

    if (attempt > this.#maxAttempts) {
      this.#report(
        new ConnectionError(
          `The LISTEN connection to PostgreSQL could not be restored after ${this.#maxAttempts} attempts, so the listener closed. Check the server, then create a new listener.`,
          { dialect: "postgres" },
        ),
      );
      void this.close();

      return;
    }

    const delay = backoffDelay(attempt, this.#initialDelayMs, this.#maxDelayMs);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#reconnect(attempt);
    }, delay);
  }

  async #reconnect(attempt: number): Promise<void> {
    try {
      await this.#serial(() => this.#open());
    } catch (error) {
      this.#report(asError(error));
      this.#scheduleReconnect(attempt + 1);

      return;
    }

    if (this.#client) {
      this.emit("reconnect", attempt);
    }
  }

  /** Emits "error", or writes a rate-limited line to stderr when nobody listens for it. */
  #report(error: Error): void {
    if (this.listenerCount("error") > 0) {
      this.emit("error", error);

      return;
    }

    const now = Date.now();

    if (now - this.#lastErrorLine < ERROR_LOG_INTERVAL_MS) {
      this.#suppressedErrors += 1;

      return;
    }

    const repeats =
      this.#suppressedErrors > 0
        ? ` (${this.#suppressedErrors} more since the last line)`
        : "";
    process.stderr.write(
      `[chakra] postgres listener: ${error.message}${repeats}\n`,
    );
    this.#lastErrorLine = now;
    this.#suppressedErrors = 0;
  }
}

/**
 * Returns the wait before reconnect attempt `attempt` (1-based): the
 * initial delay doubled per attempt, capped at `maxDelayMs`, of which a
 * random half is dropped so that many listeners do not reconnect at once.
 */
export function backoffDelay(
  attempt: number,
  initialDelayMs: number,
  maxDelayMs: number,
): number {
  const exponent = Math.min(attempt - 1, 30);
  const capped = Math.min(maxDelayMs, initialDelayMs * 2 ** exponent);

  return Math.round(capped / 2 + (Math.random() * capped) / 2);
}

/**
 * Opens a dedicated connection, listens on `channel`, and returns the
 * listener. Add more channels with `listener.listen()`, remove them with
 * `listener.unlisten()`, and end it with `listener.close()`. It raises a
 * ConnectionError when the first connection fails.
 *
 * @example
 * const listener = await listen(db, "feed", (payload) => broadcast(JSON.parse(payload)));
 */
export async function listen(
  target: ListenTarget,
  channel: string,
  handler: NotificationHandler,
  options: ListenerOptions = {},
): Promise<PostgresListener> {
  checkChannel(channel, "listen()");
  const listener = new PostgresListener(target, options);

  try {
    await listener.listen(channel, handler);
    await listener.connect();
  } catch (error) {
    await listener.close();
    throw error;
  }

  return listener;
}

/** The pool settings a client needs, read from a postgres dialect's pg pool. */
interface PooledDriver {
  pool: { options: pg.PoolConfig };
}

function clientConfig(
  target: ListenTarget,
  timeout: number | undefined,
): pg.ClientConfig {
  let config: pg.ClientConfig;

  if (typeof target === "string") {
    config = { connectionString: target };
  } else if (isDialectHolder(target) || isDialect(target)) {
    const dialect = isDialectHolder(target) ? target.dialect : target;
    const driver = dialect.driver as unknown as Partial<PooledDriver>;

    if (
      dialect.name !== "postgres" ||
      typeof driver.pool?.options !== "object"
    ) {
      throw new ValidationError(
        `listen(): the target uses the ${dialect.name} dialect, but LISTEN/NOTIFY exists only on PostgreSQL. Pass a postgres Database, dialect or URL.`,
        { dialect: dialect.name },
      );
    }

    const {
      connectionString,
      host,
      port,
      user,
      password,
      database,
      ssl,
      connectionTimeoutMillis,
    } = driver.pool.options;
    config = {
      connectionString,
      host,
      port,
      user,
      password,
      database,
      ssl,
      connectionTimeoutMillis,
    };
  } else {
    config = { ...target };
  }

  return {
    ...config,
    connectionTimeoutMillis:
      timeout ??
      (config.connectionTimeoutMillis || DEFAULT_CONNECTION_TIMEOUT_MS),
    // TCP keepalive lets the kernel notice a peer that vanished without closing the socket.
    keepAlive: true,
  };
}

function isDialect(value: object): value is Dialect {
  return (
    "driver" in value &&
    "compiler" in value &&
    typeof (value as { name?: unknown }).name === "string"
  );
}

function isDialectHolder(value: object): value is { dialect: Dialect } {
  const dialect = (value as { dialect?: unknown }).dialect;

  return typeof dialect === "object" && dialect !== null && isDialect(dialect);
}

function positive(
  value: number | undefined,
  fallback: number,
  name: string,
): number {
  if (value === undefined) {
    return fallback;
  }

  if (!(value > 0)) {
    throw new ValidationError(
      `PostgresListener: invalid ${name} ${String(value)}. Pass a number greater than 0.`,
      {
        dialect: "postgres",
        value,
      },
    );
  }

  return value;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function connectionError(summary: string, error: unknown): ConnectionError {
  const detail = error instanceof Error ? error.message : String(error);

  return new ConnectionError(
    `${summary}: ${detail}. Check that the server is running and reachable.`,
    {
      cause: error,
      dialect: "postgres",
    },
  );
}
