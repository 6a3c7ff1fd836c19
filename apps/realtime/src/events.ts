/**
 * Change events: what the feed sends to WebSocket clients for one committed
 * insert, update or delete of a comment, vote or badge.
 */
import type { CommitEvent, Database } from "@chakra-orm/core";
import {
  Badge,
  Comment,
  Post,
  User,
  Vote,
  type FeedModelName,
} from "./models.js";

const SITE = "https://conlang.meta.stackexchange.com";

/** Maximum comment text length in an event, in characters; POST /comments accepts no more. */
export const MAX_COMMENT_LENGTH = 600;

export type ChangeAction = CommitEvent["action"];

/** One committed change, as clients receive it in a `change` message. */
export interface ChangeEvent {
  model: FeedModelName;
  action: ChangeAction;
  id: number;
  /** Subscription channels the change belongs to: "all", "post:ID", "user:ID" and "model:NAME". */
  channels: string[];
  /** ISO time at which the row entered the feed. */
  publishedAt: string;
  payload: Record<string, unknown>;
}

/**
 * Returns the subscription channels a client may name. Raises an Error
 * with the reason for any other value.
 */
export function parseChannel(value: unknown): string {
  if (
    typeof value === "string" &&
    /^(all|model:(comment|vote|badge)|(post|user):-?\d{1,10})$/.test(value)
  ) {
    return value;
  }

  throw new Error(
    `invalid channel ${JSON.stringify(value)}; use "all", "post:ID", "user:ID" or "model:comment|vote|badge"`,
  );
}

function channelsOf(
  model: FeedModelName,
  postId: number | null,
  userId: number | null,
): string[] {
  const channels = ["all", `model:${model}`];

  if (postId !== null) {
    channels.push(`post:${postId}`);
  }

  if (userId !== null) {
    channels.push(`user:${userId}`);
  }

  return channels;
}

/** Post titles and user names that events show, looked up by id. */
export interface Names {
  /** The title of a post, or of its question for an answer. */
  postTitle(postId: number): string | null | Promise<string | null>;
  userName(userId: number): string | null | Promise<string | null>;
}

/** Looks up each name with its own query, for single events. */
export function queryNames(db: Database): Names {
  return {
    async postTitle(postId) {
      const titles = await preloadNames(db, [postId], []);

      return titles.postTitle(postId);
    },
    async userName(userId) {
      const names = await User.objects
        .using(db)
        .filter({ id: userId })
        .flatValues("displayName");

      return names[0] ?? null;
    },
  };
}

/** Loads the titles of `postIds` (and of their questions) and the names of `userIds` in three queries. */
export async function preloadNames(
  db: Database,
  postIds: number[],
  userIds: number[],
): Promise<Names> {
  const posts =
    postIds.length === 0
      ? []
      : await Post.objects
          .using(db)
          .filter({ id__in: [...new Set(postIds)] })
          .all();
  const parentIds = posts
    .map((post) => post.parentId)
    .filter((id): id is number => id !== null);
  const parents =
    parentIds.length === 0
      ? []
      : await Post.objects
          .using(db)
          .filter({ id__in: [...new Set(parentIds)] })
          .all();
  const titles = new Map<number, string | null>(
    parents.map((post) => [post.id, post.title]),
  );

  for (const post of posts) {
    titles.set(
      post.id,
      post.title ??
        (post.parentId === null
          ? null
          : (titles.get(post.parentId as number) ?? null)),
    );
  }

  const users =
    userIds.length === 0
      ? []
      : await User.objects
          .using(db)
          .filter({ id__in: [...new Set(userIds)] })
          .valuesList("id", "displayName");
  const userNames = new Map(users);

  return {
    postTitle: (postId) => titles.get(postId) ?? null,
    userName: (userId) => userNames.get(userId) ?? null,
  };
}

/** Builds the event for a comment; `url` links to it on the site when it came from the dataset. */
export async function commentEvent(
  comment: Comment,
  action: ChangeAction,
  names: Names,
): Promise<ChangeEvent> {
  const text =
    comment.text.length > MAX_COMMENT_LENGTH
      ? `${comment.text.slice(0, MAX_COMMENT_LENGTH - 1)}…`
      : comment.text;
  const author =
    comment.userId === null ? null : await names.userName(comment.userId);

  return {
    model: "comment",
    action,
    id: comment.id,
    channels: channelsOf("comment", comment.postId, comment.userId),
    publishedAt: comment.publishedAt.toISOString(),
    payload: {
      postId: comment.postId,
      postTitle: await names.postTitle(comment.postId),
      userId: comment.userId,
      author: author ?? comment.userName,
      text,
      score: comment.score,
      createdAt: comment.createdAt.toISOString(),
      license: comment.contentLicense,
      url:
        comment.sourceId === null
          ? null
          : `${SITE}/posts/comments/${comment.sourceId}`,
    },
  };
}

export async function voteEvent(
  vote: Vote,
  action: ChangeAction,
  names: Names,
): Promise<ChangeEvent> {
  return {
    model: "vote",
    action,
    id: vote.id,
    channels: channelsOf("vote", vote.postId, null),
    publishedAt: vote.publishedAt.toISOString(),
    payload: {
      postId: vote.postId,
      postTitle: await names.postTitle(vote.postId),
      voteType: vote.voteType,
      votedOn: vote.votedOn,
    },
  };
}

export async function badgeEvent(
  badge: Badge,
  action: ChangeAction,
  names: Names,
): Promise<ChangeEvent> {
  return {
    model: "badge",
    action,
    id: badge.id,
    channels: channelsOf("badge", null, badge.userId),
    publishedAt: badge.publishedAt.toISOString(),
    payload: {
      userId: badge.userId,
      author: await names.userName(badge.userId),
      name: badge.name,
      badgeClass: badge.badgeClass,
      tagBased: badge.tagBased,
      awardedAt: badge.awardedAt.toISOString(),
      url: `${SITE}/users/${badge.userId}`,
    },
  };
}

/**
 * Registers afterCommit hooks on the feed models that build an event for
 * each change committed through `db` and pass it to `publish`. Changes
 * through another database are ignored. A failure is passed to `onError`
 * and never raised, because the row is already committed and the caller's
 * write succeeded. Returns a function that removes the hooks.
 */
export function publishCommittedChanges(
  db: Database,
  publish: (event: ChangeEvent) => Promise<void>,
  onError: (error: unknown, model: FeedModelName, id: number) => void,
): () => void {
  function hook<M extends { id: number }>(
    model: FeedModelName,
    build: (
      instance: M,
      action: ChangeAction,
      names: Names,
    ) => Promise<ChangeEvent>,
  ) {
    return async (instance: M, event: CommitEvent): Promise<void> => {
      if (event.db !== db) {
        return;
      }

      try {
        await publish(await build(instance, event.action, queryNames(db)));
      } catch (error) {
        onError(error, model, instance.id);
      }
    };
  }

  const removers = [
    Comment.on("afterCommit", hook("comment", commentEvent)),
    Vote.on("afterCommit", hook("vote", voteEvent)),
    Badge.on("afterCommit", hook("badge", badgeEvent)),
  ];

  return () => {
    for (const remove of removers) {
      remove();
    }
  };
}
