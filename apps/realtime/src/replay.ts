/**
 * Replays the dataset's comments, votes and badges as live activity: one
 * item per interval, each created with `objects.create()`, so that the
 * afterCommit hooks publish it like any other change.
 */
import { ChakraError, type Database } from "@chakra-orm/core";
import type { FastifyBaseLogger } from "fastify";
import type { ActivityItem } from "./import.js";
import { Badge, Comment, Vote, type FeedModelName } from "./models.js";

export interface ReplayOptions {
  /** Milliseconds between two items. */
  intervalMs: number;
  log: FastifyBaseLogger;
}

async function existingSourceIds(
  db: Database,
): Promise<Record<FeedModelName, Set<number>>> {
  const present = (ids: (number | null)[]) =>
    new Set(ids.filter((id): id is number => id !== null));

  return {
    comment: present(await Comment.objects.using(db).flatValues("sourceId")),
    vote: present(await Vote.objects.using(db).flatValues("sourceId")),
    badge: present(await Badge.objects.using(db).flatValues("sourceId")),
  };
}

async function createItem(db: Database, item: ActivityItem): Promise<void> {
  switch (item.model) {
    case "comment":
      await Comment.objects.using(db).create(item.row);
      break;
    case "vote":
      await Vote.objects.using(db).create(item.row);
      break;
    case "badge":
      await Badge.objects.using(db).create(item.row);
      break;
  }
}

export class Replayer {
  #queue: ActivityItem[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly db: Database,
    private readonly items: readonly ActivityItem[],
    private readonly options: ReplayOptions,
  ) {}

  /** Items left to replay. */
  get remaining(): number {
    return this.#queue.length;
  }

  /** Skips the items already in the database, then starts the timer. */
  async start(): Promise<void> {
    const existing = await existingSourceIds(this.db);
    this.#queue = this.items.filter(
      (item) => !existing[item.model].has(item.row.sourceId),
    );
    this.options.log.info(
      { remaining: this.#queue.length, intervalMs: this.options.intervalMs },
      "replaying the dataset's activity",
    );
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    if (this.#stopped) {
      return;
    }

    if (this.#queue.length === 0) {
      this.options.log.info(
        "replay finished: every dataset item is in the feed",
      );

      return;
    }

    this.#timer = setTimeout(() => void this.#step(), this.options.intervalMs);
  }

  async #step(): Promise<void> {
    const item = this.#queue.shift();

    if (item) {
      try {
        await createItem(this.db, item);
      } catch (error) {
        if (ChakraError.is(error) && error.name === "UniqueViolation") {
          // Another process replaying the same database added it first.
          this.options.log.debug(
            { model: item.model, sourceId: item.row.sourceId },
            "replay item already added",
          );
        } else {
          this.options.log.error(
            { err: error, model: item.model, sourceId: item.row.sourceId },
            "replaying an item failed",
          );
        }
      }
    }

    this.#schedule();
  }
}
