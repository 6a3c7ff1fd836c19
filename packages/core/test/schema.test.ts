import { Model, ValidationError, createTableStatements, dropTableStatements, field, manager } from "../src/index.js";
import { Order, Post, User } from "./support/models.js";
import { createTestDatabase } from "./support/test-dialect.js";

const { db, statements } = createTestDatabase();

class Audit extends Model.define(
  "audits",
  {
    id: field.id(),
    action: field.string({ maxLength: 20, index: true }),
    level: field.integer(),
    code: field.string({ maxLength: 8, default: "x" }),
    kind: field.enum(["it's", "plain"]),
  },
  {
    indexes: [{ fields: ["action", "level"], unique: true }, { fields: ["level"], name: "audit_level" }],
    checks: [{ name: "audit_level_positive", sql: "level > 0" }],
    uniqueTogether: [["action", "code"]],
  },
) {
  static objects = manager(this);
}

const sqlOf = (meta: typeof Post.$meta) => createTableStatements(db.dialect, meta).map((statement) => statement.sql);

describe("createTables", () => {
  test("foreign keys with on delete", () => {
    expect(sqlOf(Post.$meta)).toEqual([
      'create table if not exists "posts" ("id" integer primary key, "title" varchar(200) not null,' +
        ' "body" text not null, "views" integer not null, "published" boolean not null,' +
        ' "published_at" timestamp, "rating" double precision, "price" decimal(10, 2), "metadata" json,' +
        ` "status" varchar(5) not null check ("status" in ('draft', 'live')), "author_id" integer not null,` +
        ' "editor_id" integer,' +
        ' constraint "posts_author_id_fk" foreign key ("author_id") references "users" ("id") on delete cascade,' +
        ' constraint "posts_editor_id_fk" foreign key ("editor_id") references "users" ("id") on delete set null)',
      'create index if not exists "posts_author_id_idx" on "posts" ("author_id")',
      'create index if not exists "posts_editor_id_idx" on "posts" ("editor_id")',
    ]);
  });

  test("unique column", () => {
    expect(sqlOf(User.$meta)[0]).toBe(
      'create table if not exists "users" ("id" integer primary key, "username" varchar(50) not null unique,' +
        ' "email" varchar(254) not null, "bio" text, "joined_at" timestamp not null)',
    );
  });

  test("indexes, uniqueTogether and checks", () => {
    expect(sqlOf(Audit.$meta)).toEqual([
      'create table if not exists "audits" ("id" integer primary key, "action" varchar(20) not null,' +
        ' "level" integer not null, "code" varchar(8) not null,' +
        ` "kind" varchar(5) not null check ("kind" in ('it''s', 'plain')),` +
        ' constraint "audits_action_code_uniq" unique ("action", "code"),' +
        ' constraint "audit_level_positive" check (level > 0))',
      'create index if not exists "audits_action_idx" on "audits" ("action")',
      'create unique index if not exists "audits_action_level_uniq" on "audits" ("action", "level")',
      'create index if not exists "audit_level" on "audits" ("level")',
    ]);
  });

  test("reserved words and a quote in names", () => {
    expect(sqlOf(Order.$meta)).toEqual([
      'create table if not exists "order" ("id" integer primary key, "group" varchar(20) not null,' +
        ' "user" integer not null, "we""ird" integer,' +
        ' constraint "order_user_fk" foreign key ("user") references "users" ("id") on delete restrict,' +
        ' constraint "order_group_user_uniq" unique ("group", "user"))',
      'create index if not exists "order_user_idx" on "order" ("user")',
    ]);
  });

  test("automatic many-to-many table", async () => {
    await db.createTables();
    const through = statements.find((statement) => statement.includes('"posts_tags" ('));

    expect(through).toBe(
      'create table if not exists "posts_tags" ("id" integer primary key, "post_id" integer not null, "tag_id" integer not null,' +
        ' constraint "posts_tags_post_id_fk" foreign key ("post_id") references "posts" ("id") on delete cascade,' +
        ' constraint "posts_tags_tag_id_fk" foreign key ("tag_id") references "tags" ("id") on delete cascade,' +
        ' constraint "posts_tags_post_id_tag_id_uniq" unique ("post_id", "tag_id"))',
    );
  });

  test("tables come after the tables they reference", async () => {
    statements.length = 0;
    await db.createTables();
    const tables = statements
      .filter((statement) => statement.startsWith("create table"))
      .map((statement) => /create table if not exists "([^"]+)"/.exec(statement)![1]);

    expect(tables.indexOf("users")).toBeLessThan(tables.indexOf("posts"));
    expect(tables.indexOf("posts")).toBeLessThan(tables.indexOf("comments"));
    expect(tables.indexOf("tags")).toBeLessThan(tables.indexOf("posts_tags"));
    expect(tables.indexOf("posts")).toBeLessThan(tables.indexOf("posts_tags"));
  });

  test("dropTables drops dependents first", async () => {
    statements.length = 0;
    await db.dropTables();

    expect(statements.indexOf('drop table if exists "comments"')).toBeLessThan(
      statements.indexOf('drop table if exists "posts"'),
    );
    expect(dropTableStatements(db.dialect, Order.$meta)).toEqual([{ sql: 'drop table if exists "order"', params: [] }]);
  });

  test("unknown field in an index", () => {
    class Broken extends Model.define("broken", { id: field.id() }, { indexes: [{ fields: ["nope"] }] }) {}

    expect(() => createTableStatements(db.dialect, Broken.$meta)).toThrow(ValidationError);
    expect(() => createTableStatements(db.dialect, Broken.$meta)).toThrow('Broken indexes: unknown field "nope"');
  });
});
