/** The blog's JSON API on Fastify. Input is checked by each route's JSON schema. */
import { ChakraError, DoesNotExist, InvalidPageError, ValidationError, type Database } from "@chakra-orm/core";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from "fastify";
import { QuestionRepository } from "./question-repository.js";
import { Comment, Post, Tag, User } from "./models.js";
import { ATTRIBUTION, commentPayload, postDetail, postSummary, userUrl } from "./payloads.js";
import { listQuestions, mostCommentedPosts, topTags } from "./queries.js";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
/** Posts listed on a user's page, newest first. */
const USER_POST_LIMIT = 50;
const TAG_NAME_PATTERN = "^[a-z0-9][a-z0-9.#+-]*$";

const pageQuerySchema = {
  page: { type: "integer", minimum: 1, default: 1 },
  pageSize: { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
} as const;

const idParamsSchema = {
  type: "object",
  properties: { id: { type: "integer" } },
  required: ["id"],
} as const;

interface PageQuery {
  page: number;
  pageSize: number;
}

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
  415: "Unsupported Media Type",
  500: "Internal Server Error",
};

function errorBody(statusCode: number, message: string) {
  return { statusCode, error: STATUS_NAMES[statusCode] ?? "Error", message };
}

function pagePayload<T>(page: { number: number; items: T[]; paginator: { pageCount: number; totalCount: number } }, pageSize: number) {
  return {
    page: page.number,
    pageSize,
    pageCount: page.paginator.pageCount,
    totalCount: page.paginator.totalCount,
  };
}

export interface ServerOptions {
  db: Database;
  /** Fastify's logger option; tests pass false. */
  logger?: FastifyServerOptions["logger"];
}

/** Builds the Fastify app with every route; call `listen()` on the result. */
export function buildServer(options: ServerOptions): FastifyInstance {
  const { db } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    // Reject unknown body fields with a 400 instead of dropping them silently.
    ajv: { customOptions: { removeAdditional: false } },
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send(errorBody(400, error.message));
    }

    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    }

    if (error instanceof InvalidPageError || error instanceof DoesNotExist) {
      return reply.code(404).send(errorBody(404, error.message));
    }

    if (error instanceof ValidationError) {
      return reply.code(400).send(errorBody(400, error.message));
    }

    if (!ChakraError.is(error) && error.statusCode !== undefined && error.statusCode < 500) {
      return reply.code(error.statusCode).send(errorBody(error.statusCode, error.message));
    }

    request.log.error({ err: error }, `${request.method} ${request.url} failed`);

    return reply.code(500).send(errorBody(500, "The server failed to handle the request; see the server log."));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `No route for ${request.method} ${request.url.split("?")[0]}.`)),
  );

  app.get("/", async () => ({
    name: "Chakra ORM example blog",
    endpoints: [
      "GET /posts?page=&pageSize=&q=&contains=",
      "GET /posts/:id",
      "POST /posts",
      "DELETE /posts/:id",
      "GET /users/:id",
      "GET /tags/:name?page=&pageSize=",
      "GET /stats?limit=",
    ],
    dataAttribution: ATTRIBUTION,
  }));

  app.get<{ Querystring: PageQuery & { q?: string; contains?: string } }>(
    "/posts",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            ...pageQuerySchema,
            q: { type: "string", minLength: 1, maxLength: 200 },
            contains: { type: "string", minLength: 1, maxLength: 200 },
          },
        },
      },
    },
    async (request) => {
      const { page, pageSize, q, contains } = request.query;
      const result = await listQuestions({ page, pageSize, search: q, contains });

      return {
        ...pagePayload(result, pageSize),
        query: q ?? null,
        contains: contains ?? null,
        items: result.items.map((post) => {
          const rank = (post as Post & { rank?: number | null }).rank;

          return rank === undefined ? postSummary(post) : { ...postSummary(post), rank };
        }),
        dataAttribution: ATTRIBUTION,
      };
    },
  );

  app.get<{ Params: { id: number } }>("/posts/:id", { schema: { params: idParamsSchema } }, async (request) => {
    const { id } = request.params;
    const post = await Post.active().filter({ id }).selectRelated("author").prefetchRelated("tags").first();

    if (!post) {
      throw new HttpError(404, `Post ${id} not found.`);
    }

    const answers = await Post.active()
      .filter({ parentId: id, postType: "answer" })
      .selectRelated("author")
      .orderBy("-score", "createdAt", "id")
      .all();
    const comments = await Comment.active()
      .filter({ postId__in: [post.id, ...answers.map((answer) => answer.id)] })
      .selectRelated("user")
      .orderBy("createdAt", "id")
      .all();
    const commentsOf = (postId: number) =>
      comments.filter((comment) => comment.postId === postId).map(commentPayload);

    return {
      post: { ...postDetail(post), comments: commentsOf(post.id) },
      answers: answers.map((answer) => ({ ...postDetail(answer, []), comments: commentsOf(answer.id) })),
      dataAttribution: ATTRIBUTION,
    };
  });

  app.post<{ Body: { title: string; body: string; tags: string[]; authorId?: number } }>(
    "/posts",
    {
      schema: {
        body: {
          type: "object",
          additionalProperties: false,
          required: ["title", "body", "tags"],
          properties: {
            title: { type: "string", minLength: 1, maxLength: 250, pattern: "\\S" },
            body: { type: "string", minLength: 1, maxLength: 30000, pattern: "\\S" },
            tags: {
              type: "array",
              minItems: 1,
              maxItems: 5,
              uniqueItems: true,
              items: { type: "string", minLength: 1, maxLength: 35, pattern: TAG_NAME_PATTERN },
            },
            authorId: { type: "integer" },
          },
        },
      },
    },
    async (request, reply) => {
      const { title, body, tags, authorId } = request.body;

      if (authorId !== undefined && !(await User.active().filter({ id: authorId }).exists())) {
        throw new HttpError(400, `authorId ${authorId} does not match any user. Pass the id of an existing user, or leave it out.`);
      }

      const post = await new QuestionRepository(db).ask({ title, body, tags, authorId });

      return reply.code(201).header("location", `/posts/${post.id}`).send({ post: postDetail(post) });
    },
  );

  app.delete<{ Params: { id: number } }>("/posts/:id", { schema: { params: idParamsSchema } }, async (request, reply) => {
    const { id } = request.params;
    const post = await Post.active().filter({ id }).first();

    if (!post) {
      throw new HttpError(404, `Post ${id} not found, or already deleted.`);
    }

    await post.softDelete();
    request.log.info({ postId: id }, "post soft-deleted");

    return reply.code(204).send();
  });

  app.get<{ Params: { id: number } }>("/users/:id", { schema: { params: idParamsSchema } }, async (request) => {
    const { id } = request.params;
    const user = await User.active().filter({ id }).first();

    if (!user) {
      throw new HttpError(404, `User ${id} not found.`);
    }

    const posts = Post.active().filter({ authorId: id }).orderBy("-createdAt", "-id");
    const totalCount = await posts.count();
    const items = await posts.limit(USER_POST_LIMIT).all();
    const parentIds = [...new Set(items.map((post) => post.parentId).filter((parentId) => parentId !== null))];
    const parentTitles = new Map(await Post.objects.filter({ id__in: parentIds as number[] }).valuesList("id", "title"));

    return {
      user: {
        id: user.id,
        displayName: user.displayName,
        reputation: user.reputation,
        location: user.location,
        websiteUrl: user.websiteUrl,
        aboutMe: user.aboutMe,
        createdAt: user.createdAt.toISOString(),
        url: userUrl(user),
      },
      posts: {
        totalCount,
        items: items.map((post) => ({
          id: post.id,
          type: post.postType,
          questionId: post.parentId ?? post.id,
          title: post.title ?? parentTitles.get(post.parentId as number) ?? null,
          score: post.score,
          createdAt: post.createdAt.toISOString(),
        })),
      },
      dataAttribution: ATTRIBUTION,
    };
  });

  app.get<{ Params: { name: string }; Querystring: PageQuery }>(
    "/tags/:name",
    {
      schema: {
        params: {
          type: "object",
          properties: { name: { type: "string", minLength: 1, maxLength: 35, pattern: TAG_NAME_PATTERN } },
          required: ["name"],
        },
        querystring: { type: "object", properties: pageQuerySchema },
      },
    },
    async (request) => {
      const { name } = request.params;
      const { page, pageSize } = request.query;
      const tag = await Tag.objects.filter({ name }).first();

      if (!tag) {
        throw new HttpError(404, `Tag "${name}" not found.`);
      }

      const result = await listQuestions({ page, pageSize, tag: name });

      return {
        tag: { id: tag.id, name: tag.name },
        ...pagePayload(result, pageSize),
        items: result.items.map(postSummary),
        dataAttribution: ATTRIBUTION,
      };
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    "/stats",
    {
      schema: {
        querystring: {
          type: "object",
          properties: { limit: { type: "integer", minimum: 1, maximum: 50, default: 10 } },
        },
      },
    },
    async (request) => {
      const { limit } = request.query;

      return {
        topTags: await topTags(db, limit),
        mostCommentedPosts: await mostCommentedPosts(db, limit),
      };
    },
  );

  return app;
}
