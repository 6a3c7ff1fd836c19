import {
  CheckViolation,
  ConnectionError,
  Database,
  DeadlockError,
  ForeignKeyViolation,
  Model,
  NotNullViolation,
  QueryTimeoutError,
  SerializationError,
  UniqueViolation,
  field,
  manager,
} from "@chakra-orm/core";
import { postgres, translatePostgresError } from "../src/index";
import {
  createTestDatabase,
  describePostgres,
  dropTestDatabase,
} from "./postgres-test-server";

class Member extends Model.define(
  "members",
  {
    id: field.id(),
    email: field.string({ maxLength: 100, unique: true }),
    age: field.integer({ nullable: true }),
  },
  [],
  { checks: [{ name: "members_age_check", sql: "age >= 0" }] },
) {
  static objects = manager(this);
}

class Membership extends Model.define("memberships", {
  id: field.id(),
  member: field.foreignKey(() => Member, { onDelete: "restrict" }),
}) {
  static objects = manager(this);
}

const SUFFIX = "errors";
let url: string;
let db: Database;

/** Resolves when every promise has settled, returning the rejections. */
async function rejections(promises: Promise<unknown>[]): Promise<unknown[]> {
  const results = await Promise.allSettled(promises);

  return results.flatMap((result) => (result.status === "rejected" ? [result.reason] : []));
}

describePostgres("postgres error mapping", () => {
  beforeAll(async () => {
    url = await createTestDatabase(SUFFIX);
    db = new Database({ dialect: postgres({ connectionString: url, max: 4 }), models: [Member, Membership] });
    await db.createTables();
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
  });

  afterEach(async () => {
    await Membership.objects.delete();
    await Member.objects.delete();
  });

  test("23505 becomes UniqueViolation", async () => {
    await Member.objects.create({ email: "secret@example.com" });
    const error = await Member.objects.create({ email: "secret@example.com" }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({
      code: "23505",
      constraint: "members_email_key",
      table: "members",
      columns: ["email"],
      dialect: "postgres",
    });
    expect((error as Error).cause).toMatchObject({ code: "23505" });
    expect((error as Error).message).toContain('unique constraint "members_email_key" on members(email)');
    expect((error as Error).message).not.toContain("secret@example.com");
  });

  test("23503 becomes ForeignKeyViolation", async () => {
    const error = await Membership.objects.create({ memberId: 999_999 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ForeignKeyViolation);
    expect(error).toMatchObject({ code: "23503", table: "memberships", columns: ["member_id"] });
    expect((error as Error).message).not.toContain("999999");
  });

  test("23503 on delete of a referenced row", async () => {
    const member = await Member.objects.create({ email: "a@example.com" });
    await Membership.objects.create({ member });

    await expect(Member.objects.filter({ id: member.id }).delete()).rejects.toBeInstanceOf(ForeignKeyViolation);
  });

  test("23502 becomes NotNullViolation", async () => {
    const error = await db.sql`insert into members (email) values (null)`.catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NotNullViolation);
    expect(error).toMatchObject({ code: "23502", table: "members", columns: ["email"] });
  });

  test("23514 becomes CheckViolation", async () => {
    const error = await Member.objects.create({ email: "b@example.com", age: -1 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CheckViolation);
    expect(error).toMatchObject({ code: "23514", constraint: "members_age_check", table: "members" });
  });

  test("40P01 becomes DeadlockError", async () => {
    const first = await Member.objects.create({ email: "first@example.com" });
    const second = await Member.objects.create({ email: "second@example.com" });
    let locked = 0;
    let release: () => void = () => undefined;
    const bothLocked = new Promise<void>((resolve) => (release = resolve));
    const lockInOrder = (a: number, b: number) =>
      db.transaction(async () => {
        await Member.objects.filter({ id: a }).update({ age: 1 });
        locked += 1;

        if (locked === 2) {
          release();
        }

        await bothLocked;
        await Member.objects.filter({ id: b }).update({ age: 2 });
      });

    const errors = await rejections([lockInOrder(first.id, second.id), lockInOrder(second.id, first.id)]);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DeadlockError);
    expect(errors[0]).toMatchObject({ code: "40P01" });
  });

  test("40001 becomes SerializationError", async () => {
    const member = await Member.objects.create({ email: "s@example.com", age: 1 });
    let read = 0;
    let release: () => void = () => undefined;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    const readThenWrite = (age: number) =>
      db.transaction(
        async () => {
          await Member.objects.get({ id: member.id });
          read += 1;

          if (read === 2) {
            release();
          }

          await bothRead;
          await Member.objects.filter({ id: member.id }).update({ age });
        },
        { isolation: "serializable" },
      );

    const errors = await rejections([readThenWrite(2), readThenWrite(3)]);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SerializationError);
    expect(errors[0]).toMatchObject({ code: "40001" });
  });

  test("57014 becomes QueryTimeoutError", async () => {
    const timed = new Database({
      dialect: postgres({ connectionString: url, statementTimeout: 100 }),
      name: "timed",
      models: [Member],
    });

    try {
      const error = await timed.sql`select pg_sleep(2)`.catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(QueryTimeoutError);
      expect(error).toMatchObject({ code: "57014" });
      expect((error as Error).message).toContain("statement_timeout");
      expect(await timed.sql`select 1 as ok`).toEqual([{ ok: 1 }]);
    } finally {
      await timed.close();
    }
  });

  test("refused connection becomes ConnectionError", async () => {
    const unreachable = new Database({
      dialect: postgres({ host: "127.0.0.1", port: 1, user: "postgres", database: "test", connectionTimeoutMillis: 2000 }),
      name: "unreachable",
    });

    try {
      const error = await unreachable.sql`select 1`.catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toMatchObject({ code: "ECONNREFUSED" });
    } finally {
      await unreachable.close();
    }
  });

  test("terminated backend becomes ConnectionError", async () => {
    const victim = new Database({ dialect: postgres({ connectionString: url, max: 1 }), name: "victim" });

    try {
      const [row] = await victim.sql<{ pid: number }>`select pg_backend_pid() as pid`;
      const error = await victim
        .transaction(async () => {
          await db.sql`select pg_terminate_backend(${row!.pid})`;
          await victim.sql`select 1`;
        })
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ConnectionError);
      expect(await victim.sql`select 1 as ok`).toEqual([{ ok: 1 }]);
    } finally {
      await victim.close();
    }
  });

  test("pool wait timeout names the pool size", async () => {
    const small = new Database({
      dialect: postgres({ connectionString: url, max: 1, connectionTimeoutMillis: 200 }),
      name: "small",
    });

    try {
      const held = await small.dialect.driver.acquire();
      let error: unknown;

      try {
        error = await small.sql`select 1`.catch((caught: unknown) => caught);
      } finally {
        small.dialect.driver.release(held);
      }

      expect(error).toBeInstanceOf(QueryTimeoutError);
      expect((error as Error).message).toContain("1 of max 1 connections are in use and");
    } finally {
      await small.close();
    }
  });

  test("other errors keep SQLSTATE and cause", async () => {
    const error = await db.sql`select * from no_such_table`.catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: "DatabaseError", code: "42P01" });
    expect((error as Error).message).toContain('relation "no_such_table" does not exist');
  });

  test("data exceptions keep input out of the message", async () => {
    const error = await db.sql`select ${"private-value"}::integer`.catch((caught: unknown) => caught);

    expect(error).toMatchObject({ name: "DatabaseError", code: "22P02" });
    expect((error as Error).message).not.toContain("private-value");
  });
});

describe("translatePostgresError", () => {
  test("maps socket resets and admin shutdown", () => {
    expect(translatePostgresError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBeInstanceOf(ConnectionError);
    expect(translatePostgresError(Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" }))).toBeInstanceOf(ConnectionError);
    expect(translatePostgresError(new Error("Connection terminated unexpectedly"))).toBeInstanceOf(ConnectionError);
  });
});
