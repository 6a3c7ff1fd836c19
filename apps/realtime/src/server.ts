/**
 * The HTTP API (Fastify), the WebSocket hub on /ws and the live page. Input
 * is checked by each route's JSON schema.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { ChakraError, ValidationError, type Database } from "@chakra-orm/core";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
} from "fastify";
import { createBus, type ChangeBus } from "./bus.js";
import {
  MAX_COMMENT_LENGTH,
  badgeEvent,
  commentEvent,
  parseChannel,
  preloadNames,
  publishCommittedChanges,
  voteEvent,
  type ChangeEvent,
} from "./events.js";
import { Hub } from "./hub.js";
import { Badge, Comment, Post, User, Vote, type VoteType } from "./models.js";

const DEFAULT_FEED_LIMIT = 50;
const MAX_FEED_LIMIT = 200;

/** The data's attribution line, sent with the feed and shown on the page. */
export const ATTRIBUTION =
  "Data from Constructed Languages Meta Stack Exchange (https://conlang.meta.stackexchange.com), written by its users and published by Stack Exchange, Inc. in the Stack Exchange Data Dump under CC BY-SA 3.0 / 4.0; converted to CSV.";

/** Files of the page, served from `publicDir`. */
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/** An error with an HTTP status and a message safe to show to the client. */
class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  500: "Internal Server Error",
};

function errorBody(statusCode: number, message: string) {
  return { statusCode, error: STATUS_NAMES[statusCode] ?? "Error", message };
}

export interface ServerOptions {
  db: Database;
  /** Folder with index.html, app.js and style.css. */
  publicDir: string;
  /** Fastify's logger option; tests pass false. */
  logger?: FastifyServerOptions["logger"];
}

export interface RealtimeServer {
  app: FastifyInstance;
  hub: Hub;
  bus: ChangeBus;
}

/** Reads the newest feed rows of the channel, newest first, as change events. */
async function recentFeed(
  db: Database,
  channel: string,
  limit: number,
): Promise<ChangeEvent[]> {
  const [kind, value] = channel.split(":");
  const id = Number(value);
  const wants = (model: string) => kind !== "model" || value === model;
  const newest = { order: ["-publishedAt", "-id"] as const };
  // Votes carry no user, and badges no post, so those channels skip them.

  const comments = !wants("comment")
    ? []
    : await Comment.objects
        .using(db)
        .filter(
          kind === "post"
            ? { postId: id }
            : kind === "user"
              ? { userId: id }
              : {},
        )
        .orderBy(...newest.order)
        .limit(limit)
        .all();
  const votes =
    !wants("vote") || kind === "user"
      ? []
      : await Vote.objects
          .using(db)
          .filter(kind === "post" ? { postId: id } : {})
          .orderBy(...newest.order)
          .limit(limit)
          .all();
  const badges =
    !wants("badge") || kind === "post"
      ? []
      : await Badge.objects
          .using(db)
          .filter(kind === "user" ? { userId: id } : {})
          .orderBy(...newest.order)
          .limit(limit)
          .all();
  const names = await preloadNames(
    db,
    [...comments.map((row) => row.postId), ...votes.map((row) => row.postId)],
    [
      ...comments.map((row) => row.userId).filter((userId) => userId !== null),
      ...badges.map((row) => row.userId),
    ],
  );
  const events = [
    ...(await Promise.all(
      comments.map((row) => commentEvent(row, "insert", names)),
    )),
    ...(await Promise.all(votes.map((row) => voteEvent(row, "insert", names)))),
    ...(await Promise.all(
      badges.map((row) => badgeEvent(row, "insert", names)),
    )),
  ];

  return events
    .sort((a, b) => b.publishedAt.localeCompare(a.publishedAt) || b.id - a.id)
    .slice(0, limit);
}

/**
 * Builds the app, opens the change bus (a LISTEN connection on PostgreSQL)
 * and registers the afterCommit hooks. Call `app.listen()` on the result;
 * `app.close()` also closes the WebSocket clients, the bus and the hooks.
 */
export async function buildServer(
  options: ServerOptions,
): Promise<RealtimeServer> {
  const { db } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    // Reject unknown body fields with a 400 instead of dropping them silently.
    ajv: { customOptions: { removeAdditional: false } },
  });
  const hub = new Hub(app.log);
  const bus = await createBus(db, {
    deliver: (event) => hub.deliver(event),
    resync: () => hub.resync(),
    log: app.log,
  });
  const removeHooks = publishCommittedChanges(
    db,
    (event) => bus.publish(event),
    (error, model, id) =>
      app.log.error(
        { err: error, model, id },
        "publishing a committed change failed",
      ),
  );

  app.server.on("upgrade", (request, socket, head) =>
    hub.handleUpgrade(request, socket, head),
  );
  app.addHook("onClose", async () => {
    removeHooks();
    await hub.close();
    await bus.close();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send(errorBody(400, error.message));
    }

    if (error instanceof HttpError) {
      return reply
        .code(error.statusCode)
        .send(errorBody(error.statusCode, error.message));
    }

    if (error instanceof ValidationError) {
      return reply.code(400).send(errorBody(400, error.message));
    }

    if (
      !ChakraError.is(error) &&
      error.statusCode !== undefined &&
      error.statusCode < 500
    ) {
      return reply
        .code(error.statusCode)
        .send(errorBody(error.statusCode, error.message));
    }

    request.log.error(
      { err: error },
      `${request.method} ${request.url} failed`,
    );

    return reply
      .code(500)
      .send(
        errorBody(
          500,
          "The server failed to handle the request; see the server log.",
        ),
      );
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(
        errorBody(
          404,
          `No route for ${request.method} ${request.url.split("?")[0]}.`,
        ),
      ),
  );

  for (const [route, { file, type }] of Object.entries(STATIC_FILES)) {
    const content = readFileSync(path.join(options.publicDir, file));
    app.get(route, async (_request, reply) =>
      reply.type(type).header("cache-control", "no-cache").send(content),
    );
  }

  app.get("/health", async () => ({
    status: "ok",
    dialect: db.dialect.name,
    bus: bus.kind,
    clients: hub.clientCount,
  }));

  app.get<{ Querystring: { limit: number; channel: string } }>(
    "/feed",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            limit: {
              type: "integer",
              minimum: 1,
              maximum: MAX_FEED_LIMIT,
              default: DEFAULT_FEED_LIMIT,
            },
            channel: { type: "string", default: "all", maxLength: 40 },
          },
        },
      },
    },
    async (request) => {
      const { limit, channel } = request.query;

      try {
        parseChannel(channel);
      } catch (error) {
        throw new HttpError(
          400,
          `querystring/channel: ${(error as Error).message}`,
        );
      }

      return {
        channel,
        items: await recentFeed(db, channel, limit),
        dataAttribution: ATTRIBUTION,
      };
    },
  );

  app.post<{
    Body: {
      postId: number;
      text: string;
      userId?: number;
      userName?: string;
      dryRun?: boolean;
    };
  }>(
    "/comments",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["postId", "text"],
          properties: {
            postId: { type: "integer" },
            text: {
              type: "string",
              minLength: 1,
              maxLength: MAX_COMMENT_LENGTH,
              pattern: "\\S",
            },
            userId: { type: "integer" },
            userName: {
              type: "string",
              minLength: 1,
              maxLength: 40,
              pattern: "\\S",
            },
            dryRun: { type: "boolean", default: false },
          },
        },
      },
    },
    async (request, reply) => {
      const { postId, text, userId, userName, dryRun } = request.body;

      if (!(await Post.objects.using(db).filter({ id: postId }).exists())) {
        throw new HttpError(
          400,
          `postId ${postId} does not match any post. Pass the id of an existing question or answer.`,
        );
      }

      if (
        userId !== undefined &&
        !(await User.objects.using(db).filter({ id: userId }).exists())
      ) {
        throw new HttpError(
          400,
          `userId ${userId} does not match any user. Pass the id of an existing user, or userName.`,
        );
      }

      const create = () =>
        Comment.objects.using(db).create({
          postId,
          text: text.trim(),
          userId: userId ?? null,
          userName: userId === undefined ? (userName?.trim() ?? null) : null,
        });

      if (!dryRun) {
        const comment = await db.transaction(create);

        return reply.code(201).send({ comment: comment.toDict() });
      }

      // A dry run inserts the comment and rolls the transaction back, so its
      // afterCommit hook never runs and no client hears of it.
      let preview: Record<string, unknown> = {};
      const rollback = new Error("dry run");

      await db
        .transaction(async () => {
          preview = (await create()).toDict();
          throw rollback;
        })
        .catch((error: unknown) => {
          if (error !== rollback) {
            throw error;
          }
        });

      return reply.code(200).send({ dryRun: true, comment: preview });
    },
  );

  app.delete<{ Params: { id: number } }>(
    "/comments/:id",
    {
      schema: {
        params: {
          type: "object",
          properties: { id: { type: "integer" } },
          required: ["id"],
        },
      },
    },
    async (request, reply) => {
      const comment = await Comment.objects
        .using(db)
        .filter({ id: request.params.id })
        .first();

      if (!comment) {
        throw new HttpError(404, `Comment ${request.params.id} not found.`);
      }

      await comment.delete();

      return reply.code(204).send();
    },
  );

  app.post<{ Body: { postId: number; voteType: VoteType } }>(
    "/votes",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["postId", "voteType"],
          properties: {
            postId: { type: "integer" },
            voteType: { type: "string", enum: ["up", "down", "favorite"] },
          },
        },
      },
    },
    async (request, reply) => {
      const { postId, voteType } = request.body;

      if (!(await Post.objects.using(db).filter({ id: postId }).exists())) {
        throw new HttpError(
          400,
          `postId ${postId} does not match any post. Pass the id of an existing question or answer.`,
        );
      }

      const vote = await Vote.objects
        .using(db)
        .create({
          postId,
          voteType,
          votedOn: new Date().toISOString().slice(0, 10),
        });

      return reply.code(201).send({ vote: vote.toDict() });
    },
  );

  return { app, hub, bus };
}
