import { ValidationError, describeValue } from "@chakra-orm/core";

/**
 * Maximum channel name length in bytes. PostgreSQL truncates identifiers to
 * NAMEDATALEN - 1 (63 in default builds), and PostgreSQL 15 rejects a longer
 * name in pg_notify() with "channel name too long".
 */
export const MAX_CHANNEL_BYTES = 63;

/**
 * Maximum payload size in bytes. PostgreSQL 15 in its default configuration
 * rejects 8000 bytes with "payload string too long" and accepts 7999.
 */
export const MAX_PAYLOAD_BYTES = 7999;

const CHANNEL_PATTERN = /^[A-Za-z0-9_.:-]+$/;

/**
 * Raises a ValidationError unless `channel` is 1 to 63 ASCII letters,
 * digits, `_`, `.`, `:` or `-`. LISTEN takes the name as an identifier in
 * the SQL text, so it is quoted there as well, and names are case-sensitive.
 */
export function checkChannel(
  channel: unknown,
  caller: string,
): asserts channel is string {
  if (
    typeof channel !== "string" ||
    !CHANNEL_PATTERN.test(channel) ||
    channel.length > MAX_CHANNEL_BYTES
  ) {
    throw new ValidationError(
      `${caller}: invalid channel name ${describeValue(channel)}. Use 1 to ${MAX_CHANNEL_BYTES} letters, digits, "_", ".", ":" or "-".`,
      { dialect: "postgres", value: channel },
    );
  }
}

/** Raises a ValidationError unless `payload` is a string below the NOTIFY size limit. */
export function checkPayload(
  payload: unknown,
  caller: string,
): asserts payload is string {
  if (typeof payload !== "string") {
    throw new ValidationError(
      `${caller}: invalid payload ${describeValue(payload)}. Pass a string, for example JSON.stringify(value).`,
      { dialect: "postgres", value: payload },
    );
  }

  const bytes = Buffer.byteLength(payload, "utf8");

  if (bytes > MAX_PAYLOAD_BYTES) {
    throw new ValidationError(
      `${caller}: the payload is ${bytes} bytes, but PostgreSQL accepts at most ${MAX_PAYLOAD_BYTES}. Send a key and read the row instead.`,
      { dialect: "postgres" },
    );
  }
}

/** Quotes a checked channel name as an SQL identifier for LISTEN and UNLISTEN. */
export function quoteChannel(channel: string): string {
  return `"${channel.replace(/"/g, '""')}"`;
}
