import {
  CheckViolation,
  ConnectionError,
  Database,
  DeadlockError,
  ForeignKeyViolation,
  Model,
  NotNullViolation,
  QueryTimeoutError,
  UniqueViolation,
  field,
  manager,
} from "@chakra-orm/core";
import { mysql } from "../src/index.js";
import { describeServer, useTestDatabase } from "./server.js";

class Team extends Model.define("teams", {
  id: field.id(),
  name: field.string({ maxLength: 50, unique: true }),
  size: field.integer({ default: 1 }),
  level: field.enum(["junior", "senior"], { default: "junior" }),
}) {
  static objects = manager(this);
}

class Player extends Model.define("players", {
  id: field.id(),
  team: field.foreignKey(() => Team, { relatedName: "players", onDelete: "restrict" }),
}) {
  static objects = manager(this);
}

function delay(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

describeServer("MySQL error mapping", () => {
  const handle = useTestDatabase("errors");

  test("duplicate key raises UniqueViolation", async () => {
    await Team.objects.create({ name: "red" });
    const error = await Team.objects.create({ name: "red" }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({ table: "teams", constraint: "name", model: "Team", code: "ER_DUP_ENTRY" });
    expect((error as Error).cause).toMatchObject({ errno: 1062 });
  });

  test("missing parent raises ForeignKeyViolation", async () => {
    const error = await Player.objects.create({ teamId: 999_999 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ForeignKeyViolation);
    expect(error).toMatchObject({ table: "players", constraint: "players_team_id_fk", columns: ["team_id"], field: "team" });
  });

  test("referenced parent raises ForeignKeyViolation", async () => {
    const team = await Team.objects.create({ name: "blue" });
    await Player.objects.create({ team });
    const error = await Team.objects.filter({ id: team.id }).delete().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ForeignKeyViolation);
    expect((error as Error).message).toMatch(/Delete or reassign/);
  });

  test("NULL in a required column raises NotNullViolation", async () => {
    const error = await handle.db.sql`insert into teams (name, size, level) values (${"green"}, ${null}, ${"junior"})`.catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(NotNullViolation);
    expect(error).toMatchObject({ columns: ["size"], field: "size", model: "Team" });
  });

  test("failed CHECK raises CheckViolation", async () => {
    const error = await handle.db.sql`insert into teams (name, size, level) values (${"grey"}, ${1}, ${"elder"})`.catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(CheckViolation);
    expect(error).toMatchObject({ table: "teams" });
  });

  test("crossed row locks raise DeadlockError", async () => {
    const first = await Team.objects.create({ name: "first" });
    const second = await Team.objects.create({ name: "second" });
    const lockBoth = (a: number, b: number) =>
      handle.db.transaction(async () => {
        await Team.objects.filter({ id: a }).update({ size: 2 });
        await delay(200);
        await Team.objects.filter({ id: b }).update({ size: 3 });
      });

    const results = await Promise.allSettled([lockBoth(first.id, second.id), lockBoth(second.id, first.id)]);
    const failures = results.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));

    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(DeadlockError);
  });

  test("slow statement raises QueryTimeoutError", async () => {
    const limited = new Database({ dialect: mysql({ ...handle.options, statementTimeout: 200 }), name: "limited" });

    try {
      const started = Date.now();
      const error = await limited.sql`select sleep(${3}) as slept`.catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(QueryTimeoutError);
      expect(Date.now() - started).toBeLessThan(2500);
      expect(await limited.sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await limited.close();
    }
  });

  test("killed connection raises ConnectionError", async () => {
    const victim = new Database({ dialect: mysql({ ...handle.options, connectionLimit: 1 }), name: "victim" });

    try {
      const [row] = await victim.sql<{ id: number }>`select connection_id() as id`;
      const id = row!.id;
      const pending = victim.sql`select sleep(${5})`.catch((caught: unknown) => caught);
      await delay(200);
      await handle.db.sql`kill connection ${id}`;
      const error = await pending;

      expect(error).toBeInstanceOf(ConnectionError);
      expect(await victim.sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await victim.close();
    }
  });

  test("unreachable server raises ConnectionError", async () => {
    const nowhere = new Database({ dialect: mysql({ host: "127.0.0.1", port: 1, user: "root", connectTimeout: 1000 }), name: "nowhere" });

    try {
      await expect(nowhere.sql`select 1`).rejects.toBeInstanceOf(ConnectionError);
    } finally {
      await nowhere.close();
    }
  });
});
