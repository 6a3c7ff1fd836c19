/**
 * Models for the lifecycle conformance files: hooks, request context, soft
 * deletes, audit logging, optimistic locking, keyset pagination, routing
 * and the repository. Table names start with lc_ so they never collide
 * with the blog schema in models.ts.
 */
import {
  Audit,
  Model,
  SoftDelete,
  auditLogModel,
  currentContext,
  field,
  manager,
  trackChanges,
  type Database,
  type ModelClass,
  type ModelHooks,
} from "@chakra-orm/core";

export class Writer extends Model.define(
  "lc_writers",
  {
    id: field.id(),
    username: field.string({ maxLength: 50, unique: true }),
    articles: field.reverse((): ModelClass<Article> => Article, "writer"),
  },
  [SoftDelete],
  { ordering: ["username"] },
) {
  static objects = manager(this);
}

export class Label extends Model.define(
  "lc_labels",
  {
    id: field.id(),
    name: field.string({ maxLength: 40 }),
  },
  [SoftDelete],
  { ordering: ["name"] },
) {
  static objects = manager(this);
}

export class Article extends Model.define(
  "lc_articles",
  {
    id: field.id(),
    title: field.string({ maxLength: 200 }),
    views: field.integer({ default: 0 }),
    writer: field.foreignKey(() => Writer, { onDelete: "cascade" }),
    labels: field.manyToMany(() => Label, { relatedName: "articles" }),
  },
  [SoftDelete, Audit],
  { ordering: ["id"] },
) {
  static objects = manager(this);
}

trackChanges(Article, { exclude: ["views"] });

/** Every hook call, in order, as "<hook>:<title>" strings. */
export const hookCalls: string[] = [];

export class Note extends Model.define("lc_notes", {
  id: field.id(),
  text: field.string({ maxLength: 100 }),
  // A default function that reads the request context.
  tenant: field.string({ maxLength: 40, default: () => String(currentContext().tenant ?? "none") }),
  stampedBy: field.string({ maxLength: 40, nullable: true }),
}) {
  static objects = manager(this);

  static hooks: ModelHooks<Note> = {
    beforeSave(note, { created }) {
      hookCalls.push(`beforeSave:${note.text}:${created}`);
      note.stampedBy = String(currentContext().actor ?? "anonymous");

      if (note.text === "reject") {
        throw new Error("rejected by beforeSave");
      }
    },
    afterSave(note, { created }) {
      hookCalls.push(`afterSave:${note.text}:${created}`);
    },
    beforeDelete(note) {
      hookCalls.push(`beforeDelete:${note.text}`);
    },
    afterDelete(note, { soft }) {
      hookCalls.push(`afterDelete:${note.text}:${soft}`);
    },
    afterCommit(note, { action }) {
      hookCalls.push(`afterCommit:${note.text}:${action}`);
    },
  };
}

export class Counter extends Model.define("lc_counters", {
  id: field.id(),
  name: field.string({ maxLength: 40 }),
  count: field.integer({ default: 0 }),
  version: field.version(),
}) {
  static objects = manager(this);
}

export class Entry extends Model.define("lc_entries", {
  id: field.id(),
  score: field.integer(),
  name: field.string({ maxLength: 40 }),
  postedAt: field.dateTime(),
}) {
  static objects = manager(this);
}

/** A CQRS read model: one denormalized row per live article. */
export class ArticleListing extends Model.define("lc_article_listings", {
  id: field.id(),
  articleId: field.integer({ unique: true }),
  title: field.string({ maxLength: 200 }),
  writerName: field.string({ maxLength: 50 }),
}) {
  static objects = manager(this);
}

export const AuditLogEntry = auditLogModel();

/** Removes every row of the lifecycle tables, soft-deleted ones too. */
export async function clearLifecycleTables(db: Database): Promise<void> {
  await AuditLogEntry.objects.using(db).delete();
  await Article.objects.using(db).withDeleted().hardDelete();

  for (const model of [Label, Writer]) {
    await model.objects.using(db).withDeleted().hardDelete();
  }

  for (const model of [Note, Counter, Entry, ArticleListing]) {
    await model.objects.using(db).delete();
  }
}
