import { Database, Model, field, manager, type QueryEvent } from "@chakra-orm/core";
import { postgres } from "../src/index";
import {
  createTestDatabase,
  describePostgres,
  dropTestDatabase,
} from "./postgres-test-server";

class Account extends Model.define("accounts", {
  id: field.id(),
  owner: field.string({ maxLength: 50 }),
  balance: field.integer(),
}) {
  static objects = manager(this);
}

const SUFFIX = "transactions";
let url: string;
let db: Database;

async function owners(): Promise<string[]> {
  return (await Account.objects.orderBy("owner").all()).map((item) => item.owner);
}

describePostgres("postgres transactions", () => {
  beforeAll(async () => {
    url = await createTestDatabase(SUFFIX);
    db = new Database({ dialect: postgres({ connectionString: url, max: 3 }), models: [Account] });
    await db.createTables();
  });

  afterAll(async () => {
    await db?.close();
    await dropTestDatabase(SUFFIX);
  });

  afterEach(async () => {
    await Account.objects.delete();
  });

  test("commit keeps writes", async () => {
    await db.transaction(async () => {
      await Account.objects.create({ owner: "ann", balance: 10 });
    });

    expect(await owners()).toEqual(["ann"]);
  });

  test("throwing rolls back", async () => {
    const failure = new Error("stop");

    await expect(
      db.transaction(async () => {
        await Account.objects.create({ owner: "ann", balance: 10 });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await owners()).toEqual([]);
  });

  test("savepoint rolls back inner work only", async () => {
    await db.transaction(async () => {
      await Account.objects.create({ owner: "outer", balance: 1 });

      await expect(
        db.transaction(async () => {
          await Account.objects.create({ owner: "inner", balance: 2 });
          throw new Error("inner failed");
        }),
      ).rejects.toThrow("inner failed");

      await db.transaction(async () => {
        await Account.objects.create({ owner: "second", balance: 3 });
      });
    });

    expect(await owners()).toEqual(["outer", "second"]);
  });

  test("savepoint recovers from a server error", async () => {
    await db.transaction(async () => {
      await Account.objects.create({ owner: "kept", balance: 1 });

      await expect(
        db.transaction(() => db.sql`select 1 / 0`),
      ).rejects.toMatchObject({ code: "22012" });

      await Account.objects.create({ owner: "after", balance: 2 });
    });

    expect(await owners()).toEqual(["after", "kept"]);
  });

  test("aborted transaction raises TransactionError", async () => {
    await expect(
      db.transaction(async () => {
        await db.sql`select 1 / 0`.catch(() => undefined);
        await Account.objects.create({ owner: "ignored", balance: 1 });
      }),
    ).rejects.toMatchObject({ name: "TransactionError", code: "25P02" });
  });

  test("uncommitted writes are invisible outside", async () => {
    await db.transaction(async () => {
      await Account.objects.create({ owner: "hidden", balance: 1 });
      const outside = new Database({ dialect: postgres(url), name: "outside", models: [Account] });

      try {
        expect(await Account.objects.using(outside).count()).toBe(0);
      } finally {
        await outside.close();
      }
    });
  });

  test("isolation and read only begin statements", async () => {
    const statements: string[] = [];
    const listener = (event: QueryEvent) => statements.push(event.sql);
    let level: string | undefined;
    let writeError: unknown;
    db.on("query", listener);

    try {
      await db.transaction(
        async () => {
          const [row] = await db.sql<{ level: string }>`select current_setting('transaction_isolation') as level`;
          level = row?.level;
          writeError = await Account.objects.create({ owner: "x", balance: 1 }).catch((error: unknown) => error);
        },
        { isolation: "serializable", readOnly: true },
      );
    } finally {
      db.off("query", listener);
    }

    expect(statements[0]).toBe("begin isolation level serializable read only");
    expect(level).toBe("serializable");
    expect(writeError).toMatchObject({ name: "DatabaseError", code: "25006" });
  });

  test("invalid isolation level is rejected", async () => {
    await expect(
      db.transaction(async () => undefined, { isolation: "chaos; drop table accounts" as never }),
    ).rejects.toMatchObject({ name: "ValidationError" });
  });

  test("onCommit runs after commit only", async () => {
    const calls: string[] = [];

    await db.transaction(async () => {
      await db.onCommit(() => calls.push("committed"));
    });
    await db.transaction(async () => {
      await db.onCommit(() => calls.push("rolled back"));
      throw new Error("undo");
    }).catch(() => undefined);

    expect(calls).toEqual(["committed"]);
  });

  test("DDL rolls back with the transaction", async () => {
    await db.transaction(async () => {
      await db.sql`create table ddl_probe (id integer)`;
      throw new Error("undo");
    }).catch(() => undefined);

    const rows = await db.sql`select 1 from pg_tables where tablename = 'ddl_probe'`;

    expect(rows).toEqual([]);
  });
});
