import {
  ChakraError,
  DoesNotExist,
  InvalidPageError,
  Model,
  Paginator,
  QuerySet,
  ValidationError,
  field,
  manager,
  type ModelClass,
} from "../src/index.js";
import { Post, User } from "./support/models.js";
import { createTestDatabase } from "./support/test-dialect.js";

const { db, driver, queries } = createTestDatabase();

const SoftDelete = Model.abstract(
  { deletedAt: field.dateTime({ nullable: true }) },
  (Base) =>
    class extends Base {
      get isDeleted(): boolean {
        return this.deletedAt !== null;
      }

      static alive<C extends ModelClass<any>>(this: C): QuerySet<InstanceType<C>> {
        return new QuerySet<InstanceType<C>>(this).filter({ deletedAt__isnull: true } as never);
      }
    },
);

const Audit = Model.abstract(
  {
    createdBy: field.string({ maxLength: 30, default: "system" }),
    revision: field.integer({ default: () => 1 }),
  },
  (Base) =>
    class extends Base {
      get audit(): string {
        return `${this.createdBy}#${this.revision}`;
      }

      static byCreator<C extends ModelClass<any>>(this: C, name: string): QuerySet<InstanceType<C>> {
        return new QuerySet<InstanceType<C>>(this).filter({ createdBy: name } as never);
      }
    },
);

class Note extends Model.define(
  "notes",
  {
    id: field.id(),
    text: field.text(),
    bytes: field.binary({ nullable: true }),
    total: field.bigInteger({ default: 0n }),
  },
  [SoftDelete, Audit],
) {
  static objects = manager(this);

  get shout(): string {
    return this.text.toUpperCase();
  }
}

beforeEach(() => {
  queries.length = 0;
  driver.responder = undefined;
});

describe("abstract models", () => {
  test("fields land in the concrete table", () => {
    expect(Note.$meta.columnFields.map((item) => item.column)).toEqual([
      "deleted_at",
      "created_by",
      "revision",
      "id",
      "text",
      "bytes",
      "total",
    ]);
  });

  test("instance getters from both mixins and the class", () => {
    const note = new Note({ text: "hi" });

    expect(note.isDeleted).toBe(false);
    expect(note.audit).toBe("system#1");
    expect(note.shout).toBe("HI");
  });

  test("this-typed static methods from both mixins", () => {
    expect(Note.alive().toSQL().sql).toBe(
      'select "notes"."deleted_at", "notes"."created_by", "notes"."revision", "notes"."id", "notes"."text",' +
        ' "notes"."bytes", "notes"."total" from "notes" where "notes"."deleted_at" is null',
    );
    expect(Note.byCreator("ann").toSQL().params).toEqual(["ann"]);
    expect(Note.alive().model).toBe(Note);
  });

  test("abstract models have no table", () => {
    const tables = db.models().map((meta) => meta.table);

    expect([...tables].sort()).toEqual(["comments", "notes", "order", "posts", "posts_tags", "tags", "users"]);
  });
});

describe("instances", () => {
  test("defaults and factories", () => {
    const before = Date.now();
    const first = new User({ username: "ann", email: "a@example.com" });
    const second = new User({ username: "bob", email: "b@example.com" });

    expect(first.id).toBeNull();
    expect(first.bio).toBeNull();
    expect(first.joinedAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(first.joinedAt).not.toBe(second.joinedAt);
    expect(new Post({ title: "t", authorId: 1 }).views).toBe(0);
    expect(new Post({ title: "t", authorId: 1 }).status).toBe("draft");
  });

  test("subclass getter on a new instance", () => {
    expect(new User({ username: "ann", email: "e" }).handle).toBe("@ann");
  });

  test("subclass getter on query results", async () => {
    const joined = new Date("2020-01-01T00:00:00.000Z");
    driver.responder = () => ({ rows: [[1, "ann", "a@example.com", null, joined]], rowCount: 1 });
    const user = await User.objects.first();

    expect(user).toBeInstanceOf(User);
    expect(user!.handle).toBe("@ann");
    expect(user!.joinedAt).toBe(joined);
    expect(queries[0]).toEqual({
      sql: 'select "users"."id", "users"."username", "users"."email", "users"."bio", "users"."joined_at" from "users" order by "users"."id" limit ?',
      params: [1],
    });
  });

  test("last reverses the ordering", async () => {
    await Post.objects.last();

    expect(queries[0]!.sql).toMatch(/ order by "posts"."published_at", "posts"."id" desc limit \?$/);
  });

  test("get with no row raises DoesNotExist", async () => {
    await expect(User.objects.get({ id: 5 })).rejects.toThrow(DoesNotExist);
    await expect(User.objects.get({ id: 5 })).rejects.toThrow("User matching { id: 5 } does not exist.");
  });

  test("unloaded foreign key raises", () => {
    const post = new Post({ title: "t", authorId: 3 });

    expect(() => post.author).toThrow('Post.author is not loaded. Add selectRelated("author")');
    expect(post.editor).toBeNull();
  });

  test("foreign key setter takes an instance", () => {
    const author = new User({ id: 4, username: "ann", email: "e" });
    const post = new Post({ title: "t", author });

    expect(post.authorId).toBe(4);
    expect(() => {
      (post as unknown as { author: unknown }).author = 4;
    }).toThrow(ValidationError);
  });
});

describe("toDict and toJSON", () => {
  const note = new Note({
    id: 1,
    text: "hi",
    bytes: new Uint8Array([104, 105]),
    total: 2n ** 60n,
    deletedAt: new Date("2020-01-02T03:04:05.006Z"),
  });

  test("toDict keeps values", () => {
    expect(note.toDict()).toEqual({
      deletedAt: new Date("2020-01-02T03:04:05.006Z"),
      createdBy: "system",
      revision: 1,
      id: 1,
      text: "hi",
      bytes: new Uint8Array([104, 105]),
      total: 2n ** 60n,
    });
  });

  test("toJSON is JSON-safe", () => {
    expect(JSON.parse(JSON.stringify(note))).toEqual({
      deletedAt: "2020-01-02T03:04:05.006Z",
      createdBy: "system",
      revision: 1,
      id: 1,
      text: "hi",
      bytes: "aGk=",
      total: "1152921504606846976",
    });
  });

  test("foreign keys appear as ids", () => {
    expect(new Post({ title: "t", authorId: 2 }).toDict()).toMatchObject({ authorId: 2, editorId: null });
  });
});

describe("Paginator", () => {
  function countOf(total: number): void {
    driver.responder = (query) =>
      query.sql.startsWith("select count(*)") ? { rows: [[total]], rowCount: 1 } : { rows: [], rowCount: 0 };
  }

  test("page math", async () => {
    countOf(45);
    const paginator = new Paginator(User.objects.orderBy("id"), { pageSize: 10 });
    const page = await paginator.page(3);

    expect(paginator.totalCount).toBe(45);
    expect(paginator.pageCount).toBe(5);
    expect(page.number).toBe(3);
    expect(page.hasNext).toBe(true);
    expect(page.hasPrevious).toBe(true);
    expect(page.nextPageNumber).toBe(4);
    expect(page.previousPageNumber).toBe(2);
    expect(queries[1]!.sql).toMatch(/ order by "users"."id" limit \? offset \?$/);
    expect(queries[1]!.params).toEqual([10, 20]);
  });

  test("last page", async () => {
    countOf(45);
    const page = await new Paginator(User.objects, { pageSize: 10 }).page(5);

    expect(page.hasNext).toBe(false);
    expect(page.nextPageNumber).toBeNull();
  });

  test("counts once", async () => {
    countOf(5);
    const paginator = new Paginator(User.objects, { pageSize: 2 });
    await paginator.page(1);
    await paginator.page(2);

    expect(queries.filter((query) => query.sql.startsWith("select count(*)"))).toHaveLength(1);
  });

  test.each([0, 6, 1.5, -1])("page %p out of range", async (number) => {
    countOf(45);
    const paginator = new Paginator(User.objects, { pageSize: 10 });

    await expect(paginator.page(number)).rejects.toThrow(InvalidPageError);
    await expect(paginator.page(number)).rejects.toThrow("pages run from 1 to 5 (45 rows, 10 per page)");
  });

  test("empty first page", async () => {
    countOf(0);

    expect((await new Paginator(User.objects, { pageSize: 10 }).page(1)).items).toEqual([]);
    await expect(new Paginator(User.objects, { pageSize: 10, allowEmptyFirstPage: false }).page(1)).rejects.toThrow(
      InvalidPageError,
    );
  });

  test("invalid page size", () => {
    expect(() => new Paginator(User.objects, { pageSize: 0 })).toThrow(ValidationError);
  });

  test("totalCount before counting", () => {
    expect(() => new Paginator(User.objects, { pageSize: 1 }).totalCount).toThrow(InvalidPageError);
  });
});

describe("ChakraError.is", () => {
  test("true for subclasses", () => {
    expect(ChakraError.is(new ValidationError("x"))).toBe(true);
    expect(ChakraError.is(new InvalidPageError("x"))).toBe(true);
  });

  test("true for a copy from another build", () => {
    const copy = { [Symbol.for("chakra-orm.error")]: true, message: "x" };

    expect(ChakraError.is(copy)).toBe(true);
  });

  test("false for other values", () => {
    expect(ChakraError.is(new Error("x"))).toBe(false);
    expect(ChakraError.is(null)).toBe(false);
    expect(ChakraError.is("ChakraError")).toBe(false);
  });

  test("name and fields", () => {
    const error = new ValidationError("bad", { model: "User", field: "email", value: 3 });

    expect(error.name).toBe("ValidationError");
    expect(error.model).toBe("User");
    expect(error.field).toBe("email");
    expect(error.value).toBe(3);
  });
});
