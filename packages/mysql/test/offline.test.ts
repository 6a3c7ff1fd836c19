/** Checks that need no server: MySQL 8 error texts, SQL shapes and generated ids. */
import {
  CheckViolation,
  ConnectionError,
  Database,
  DatabaseError,
  Model,
  QueryTimeoutError,
  UniqueViolation,
  field,
  manager,
} from "@chakra-orm/core";
import { jsonPath, mysql, translateMysqlError } from "../src/index.js";
import { parseDateTime } from "../src/mysql-types.js";

class Tag extends Model.define("tags", {
  id: field.id(),
  label: field.string({ maxLength: 40, unique: true }),
  data: field.json({ nullable: true }),
}) {
  static objects = manager(this);
}

function driverError(errno: number, code: string, sqlMessage: string): Error {
  return Object.assign(new Error(sqlMessage), { errno, code, sqlMessage });
}

describe("translateMysqlError", () => {
  test("MySQL 8 duplicate key names the table", () => {
    const error = translateMysqlError(driverError(1062, "ER_DUP_ENTRY", "Duplicate entry 'x' for key 'tags.label'"));

    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({ table: "tags", constraint: "label", model: "Tag" });
  });

  test("MySQL 8 check violation", () => {
    const error = translateMysqlError(
      driverError(3819, "ER_CHECK_CONSTRAINT_VIOLATED", "Check constraint 'tags_chk_1' is violated."),
      { sql: "insert into `tags` (`label`) values (?)", params: ["x"] },
    );

    expect(error).toBeInstanceOf(CheckViolation);
    expect(error).toMatchObject({ constraint: "tags_chk_1", table: "tags" });
  });

  test("MySQL 8 max_execution_time", () => {
    const error = translateMysqlError(
      driverError(3024, "ER_QUERY_TIMEOUT", "Query execution was interrupted, maximum statement execution time exceeded"),
    );

    expect(error).toBeInstanceOf(QueryTimeoutError);
  });

  test("lock wait timeout", () => {
    const error = translateMysqlError(driverError(1205, "ER_LOCK_WAIT_TIMEOUT", "Lock wait timeout exceeded; try restarting transaction"));

    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect(error.message).toMatch(/rolled back the statement, not the transaction/);
  });

  test("lost connection", () => {
    const lost = Object.assign(new Error("Connection lost: The server closed the connection."), { code: "PROTOCOL_CONNECTION_LOST", fatal: true });

    expect(translateMysqlError(lost)).toBeInstanceOf(ConnectionError);
    expect(translateMysqlError(driverError(2013, "CR_SERVER_LOST", "Lost connection"))).toBeInstanceOf(ConnectionError);
  });

  test("other errors keep the cause", () => {
    const cause = driverError(1064, "ER_PARSE_ERROR", "You have an error in your SQL syntax");
    const error = translateMysqlError(cause);

    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.cause).toBe(cause);
    expect(error).toMatchObject({ code: "ER_PARSE_ERROR" });
  });
});

describe("MySQL SQL shapes", () => {
  const dialect = mysql({ host: "127.0.0.1", connectionLimit: 1 });

  afterAll(async () => {
    await dialect.driver.close();
  });

  test("jsonPath quotes keys and indexes arrays", () => {
    expect(jsonPath(["a", "b.c", 'say "hi"', "0"])).toBe('$."a"."b.c"."say \\"hi\\""[0]');
  });

  test("offset without limit uses the largest limit", () => {
    const { sql } = dialect.compiler.compile({
      kind: "select",
      table: "tags",
      alias: "tags",
      columns: [],
      joins: [],
      where: undefined,
      groupBy: [],
      having: undefined,
      orderBy: [],
      limit: undefined,
      offset: 5,
      distinct: false,
      lock: undefined,
    });

    expect(sql).toBe("select 1 from `tags` limit 18446744073709551615 offset ?");
  });

  test("JSON path lookup binds the path", () => {
    const db = new Database({ dialect, name: "offline" });
    const { sql, params } = Tag.objects.using(db).filter({ data__owner__name: "x" } as never).toSQL();

    expect(sql).toContain("json_unquote(json_extract(`tags`.`data`, ?))");
    expect(params).toEqual(['$."owner"."name"', '$."owner"."name"', "x"]);
  });

  test("multi-row ids need a known lock mode", () => {
    expect(dialect.capabilities.maxRowsPerInsertWithoutReturning).toBe(1);
    expect(() => dialect.generatedIds(1, 2)).toThrow(/innodb_autoinc_lock_mode is unknown/);

    dialect.driver.serverInfo = { version: "8.0.36", mariadb: false, autoincLockMode: 1, autoIncrementIncrement: 2, maxAllowedPacket: 16_777_216 };
    expect(dialect.capabilities.maxRowsPerInsertWithoutReturning).toBeUndefined();
    expect(dialect.generatedIds(1, 3)).toEqual([1, 3, 5]);

    dialect.driver.serverInfo = { ...dialect.driver.serverInfo, autoincLockMode: 2 };
    expect(dialect.capabilities.maxRowsPerInsertWithoutReturning).toBe(1);
  });

  test("begin statements set isolation first", () => {
    expect(dialect.beginStatements({ isolation: "serializable", readOnly: true })).toEqual([
      "set transaction isolation level serializable",
      "start transaction read only",
    ]);
    expect(() => dialect.beginStatements({ isolation: "chaos" as never })).toThrow(/Invalid isolation level/);
  });
});

describe("parseDateTime", () => {
  test("reads every layout mysql2 writes, in UTC", () => {
    const cases: [string, string][] = [
      ["2024-03-05 10:00:00", "2024-03-05T10:00:00.000Z"],
      ["2024-03-05 10:00:00.5", "2024-03-05T10:00:00.500Z"],
      ["2024-03-05 10:00:00.12", "2024-03-05T10:00:00.120Z"],
      ["1969-07-20 20:17:40.123", "1969-07-20T20:17:40.123Z"],
      ["1969-07-20 20:17:40.123999", "1969-07-20T20:17:40.123Z"],
      ["0001-01-01 00:00:00.000", "0001-01-01T00:00:00.000Z"],
      ["0099-03-04 05:06:07.008", "0099-03-04T05:06:07.008Z"],
      ["9999-12-31T23:59:59.999", "9999-12-31T23:59:59.999Z"],
      ["2024-02-29 12:00:00", "2024-02-29T12:00:00.000Z"],
    ];

    for (const [text, iso] of cases) {
      expect(parseDateTime(text).toISOString()).toBe(iso);
    }
  });

  test("text in another layout is an invalid date", () => {
    for (const text of ["2024-03-05", "2024-03-05 10:00", "2024/03/05 10:00:00", "2024-03-05 10:00:00.", "2024-03-05 10:00:00.1234567", "2024-03-05x10:00:00", "20a4-03-05 10:00:00"]) {
      expect(Number.isNaN(parseDateTime(text).getTime())).toBe(true);
    }
  });
});
