/**
 * Change buses: how a committed change reaches the WebSocket clients of
 * every server process. On PostgreSQL the change goes out with NOTIFY and
 * each process LISTENs; elsewhere only the process that made the change
 * delivers it.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "@chakra-orm/core";
import type { FastifyBaseLogger } from "fastify";
import type { ChangeEvent } from "./events.js";

/** The PostgreSQL channel that carries change events between processes. */
export const CHANGE_CHANNEL = "chakra_realtime_changes";

export interface ChangeBus {
  readonly kind: "local" | "postgres";
  /** Delivers a committed change to this process's clients and, on PostgreSQL, to the other processes. */
  publish(event: ChangeEvent): Promise<void>;
  close(): Promise<void>;
}

export interface BusTargets {
  /** Sends an event to this process's WebSocket clients. */
  deliver: (event: ChangeEvent) => void;
  /** Tells clients that changes may have been missed and the feed should be reloaded. */
  resync: () => void;
  log: FastifyBaseLogger;
}

/** The message sent with NOTIFY. */
interface Envelope {
  /** Id of the sending process, so that it can skip its own message. */
  origin: string;
  event: ChangeEvent;
}

/** Delivers changes in this process only, for SQLite and MySQL. */
class LocalBus implements ChangeBus {
  readonly kind = "local";

  constructor(private readonly targets: BusTargets) {}

  async publish(event: ChangeEvent): Promise<void> {
    this.targets.deliver(event);
  }

  async close(): Promise<void> {}
}

type PostgresModule = typeof import("@chakra-orm/postgres");

/**
 * Delivers a change to this process's clients at once, then sends it with
 * NOTIFY. Every process LISTENs on the same channel and delivers what other
 * processes sent, and skips its own messages, so no client gets a change twice.
 */
class PostgresBus implements ChangeBus {
  readonly kind = "postgres";
  readonly origin = randomUUID();
  #listener: Awaited<ReturnType<PostgresModule["listen"]>> | undefined;

  constructor(
    private readonly db: Database,
    private readonly postgres: PostgresModule,
    private readonly targets: BusTargets,
  ) {}

  async start(): Promise<void> {
    const { log } = this.targets;
    const listener = await this.postgres.listen(
      this.db,
      CHANGE_CHANNEL,
      (payload) => this.#receive(payload),
    );

    listener.on("disconnect", (error) =>
      log.warn({ err: error }, "LISTEN connection lost; reconnecting"),
    );
    listener.on("reconnect", (attempt) => {
      log.info(
        { attempt },
        "LISTEN connection restored; asking clients to reload the feed",
      );
      this.targets.resync();
    });
    listener.on("error", (error) =>
      log.error({ err: error }, "LISTEN connection failed"),
    );
    this.#listener = listener;
    log.info(
      { channel: CHANGE_CHANNEL, origin: this.origin },
      "listening for changes of other processes",
    );
  }

  async publish(event: ChangeEvent): Promise<void> {
    this.targets.deliver(event);
    await this.postgres.notify(this.db, CHANGE_CHANNEL, this.#encode(event));
  }

  #encode(event: ChangeEvent): string {
    const text = JSON.stringify({
      origin: this.origin,
      event,
    } satisfies Envelope);

    if (Buffer.byteLength(text) <= this.postgres.MAX_PAYLOAD_BYTES) {
      return text;
    }

    // NOTE: events are built small (comment text is cut at 600 characters),
    // so this path is a guard only. Other processes then get the event
    // without its payload.
    this.targets.log.warn(
      { model: event.model, id: event.id },
      "change too large for NOTIFY; sending it without payload",
    );

    return JSON.stringify({
      origin: this.origin,
      event: { ...event, payload: { truncated: true } },
    } satisfies Envelope);
  }

  #receive(payload: string): void {
    let envelope: Envelope;

    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch (error) {
      this.targets.log.error(
        { err: error },
        `invalid JSON on channel ${CHANGE_CHANNEL}; message dropped`,
      );

      return;
    }

    if (envelope.origin !== this.origin) {
      this.targets.deliver(envelope.event);
    }
  }

  async close(): Promise<void> {
    await this.#listener?.close();
  }
}

/** Creates the bus that suits the database's dialect, and starts listening on PostgreSQL. */
export async function createBus(
  db: Database,
  targets: BusTargets,
): Promise<ChangeBus> {
  if (db.dialect.name !== "postgres") {
    return new LocalBus(targets);
  }

  const bus = new PostgresBus(
    db,
    await import("@chakra-orm/postgres"),
    targets,
  );
  await bus.start();

  return bus;
}
