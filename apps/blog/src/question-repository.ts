/**
 * The question aggregate: a question post with its tags. Routes call these
 * domain operations instead of building QuerySets themselves.
 */
import { DeadlockError, Repository, SerializationError, retry, type Database } from "@chakra-orm/core";
import { Post, Tag } from "./models.js";

export interface NewQuestion {
  title: string;
  body: string;
  tags: readonly string[];
  authorId?: number;
}

export class QuestionRepository extends Repository<Post> {
  constructor(using?: Database | string) {
    super(Post, { using });
  }

  /** Returns a question that is not soft-deleted, with its author and tags, or null. */
  override find(id: number): Promise<Post | null> {
    return Post.active()
      .using(this.query().db)
      .filter({ id, postType: "question" })
      .selectRelated("author")
      .prefetchRelated("tags")
      .first();
  }

  /** Inserts a question and links its tags (creating missing ones) in one transaction. */
  async ask(question: NewQuestion): Promise<Post> {
    // Concurrent questions that share a new tag can deadlock on MySQL (both
    // insert into tags and post_tags), so the whole transaction is retried.
    const created = await retry(() => this.transaction(async () => {
      const post = await this.create({
        postType: "question",
        title: question.title.trim(),
        body: question.body,
        authorId: question.authorId ?? null,
        createdBy: question.authorId ?? null,
        updatedBy: question.authorId ?? null,
      });
      const tags: Tag[] = [];

      for (const name of question.tags) {
        const [tag] = await Tag.objects.using(this.query().writeDb).getOrCreate({ name });
        tags.push(tag);
      }

      await post.tags.add(...tags);

      return post;
    }), { attempts: 5, on: [DeadlockError, SerializationError], backoffMs: 10 });

    return (await this.find(created.id))!;
  }
}
