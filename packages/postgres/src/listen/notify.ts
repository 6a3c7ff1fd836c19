import { ValidationError, sql, type Database } from "@chakra-orm/core";
import { checkChannel, checkPayload } from "./channel.js";

/**
 * Sends `payload` on `channel` with `select pg_notify($1, $2)`, both values
 * bound. Inside `db.transaction()` the statement runs on the transaction's
 * connection, so PostgreSQL delivers it only when the outermost transaction
 * commits, and a rollback (also of a savepoint) sends nothing. Outside a
 * transaction it is delivered at once.
 *
 * @example
 * await db.transaction(async () => {
 *   const comment = await Comment.objects.create({ postId: 1, text: "Hi" });
 *   await notify(db, "comments", JSON.stringify({ id: comment.id }));
 * });
 */
export async function notify(
  db: Database,
  channel: string,
  payload = "",
): Promise<void> {
  if (db.dialect.name !== "postgres") {
    throw new ValidationError(
      `notify(): the database uses the ${db.dialect.name} dialect, but LISTEN/NOTIFY exists only on PostgreSQL.`,
      { dialect: db.dialect.name },
    );
  }

  checkChannel(channel, "notify()");
  checkPayload(payload, "notify()");
  await db.raw(sql`select pg_notify(${channel}, ${payload})`);
}
