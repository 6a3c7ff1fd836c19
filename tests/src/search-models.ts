/** Models of the full-text search conformance file, with a small hand-checked corpus. */
import { Model, field, manager, type Database } from "@chakra-orm/core";

export class Article extends Model.define("articles", {
  id: field.id(),
  title: field.string({ maxLength: 200 }),
  body: field.text({ default: "" }),
  views: field.integer({ default: 0 }),
  search: field.search({ fields: { title: "A", body: "B" }, language: "english" }),
}) {
  static objects = manager(this);
}

/** A list of fields without weights, and a nullable one. */
export class Note extends Model.define("notes", {
  id: field.id(),
  heading: field.string({ maxLength: 100 }),
  text: field.text({ nullable: true }),
  search: field.search({ fields: ["heading", "text"], language: "simple" }),
}) {
  static objects = manager(this);
}

/** A UUID primary key: SQLite's FTS5 table then indexes the implicit rowid. */
export class Snippet extends Model.define("snippets", {
  key: field.uuid({ primaryKey: true }),
  text: field.text(),
  search: field.search({ fields: ["text"] }),
}) {
  static objects = manager(this);
}

/**
 * Five articles. The words the tests search for appear in one form only, so
 * PostgreSQL's and FTS5's stemming and MySQL's exact words agree.
 */
export const CORPUS = [
  {
    title: "Postgres replication",
    body: "Postgres streams the write-ahead log to replicas. Postgres replicas can serve reads.",
  },
  { title: "Choosing a database", body: "We compared postgres, mysql and sqlite for a small blog." },
  { title: "SQLite in the browser", body: "The sqlite engine compiles to WebAssembly." },
  { title: "Query planner notes", body: "The planner picks joins and index scans." },
  { title: "Cooking pasta", body: "Boil water, add salt, cook pasta for nine minutes." },
] as const;

/** Inserts the corpus and returns the articles in corpus order. */
export async function insertCorpus(): Promise<Article[]> {
  const articles: Article[] = [];

  for (const item of CORPUS) {
    articles.push(await Article.objects.create({ ...item }));
  }

  return articles;
}

export async function clearSearchTables(db: Database): Promise<void> {
  await Article.objects.using(db).delete();
  await Note.objects.using(db).delete();
  await Snippet.objects.using(db).delete();
}
