/** Test helpers: database targets, a WebSocket feed client, and JSON requests. */
import { sql } from "@chakra-orm/core";
import WebSocket from "ws";
import { openDatabase, type DatabaseTarget } from "../src/connect";
import type { ChangeEvent } from "../src/events";

export const available = new Set(
  (process.env.CHAKRA_AVAILABLE_DIALECTS ?? "sqlite").split(","),
);
export const PG =
  process.env.CHAKRA_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
export const MY = process.env.CHAKRA_MYSQL_URL ?? "mysql://root@127.0.0.1:3306";

/** Milliseconds a test waits for a message that should arrive. */
export const WAIT_MS = 5000;
/** Milliseconds a test waits to be sure a message does not arrive. */
export const QUIET_MS = 400;

/** Drops, and unless `create` is false creates again, a scratch database on a server. */
export async function recreateScratch(
  dialect: "postgres" | "mysql",
  name: string,
  create: boolean,
): Promise<void> {
  const adminUrl = dialect === "postgres" ? `${PG}/test` : `${MY}/test`;
  const admin = await openDatabase({ dialect, location: adminUrl });

  try {
    // On PostgreSQL, "with (force)" also ends sessions that a stopped server process left behind.
    await admin.raw(
      dialect === "postgres"
        ? sql`drop database if exists ${sql.identifier(name)} with (force)`
        : sql`drop database if exists ${sql.identifier(name)}`,
    );

    if (create) {
      await admin.raw(sql`create database ${sql.identifier(name)}`);
    }
  } finally {
    await admin.close();
  }
}

export function serverTarget(
  dialect: "postgres" | "mysql",
  name: string,
): DatabaseTarget {
  return { dialect, location: `${dialect === "postgres" ? PG : MY}/${name}` };
}

interface ServerMessage {
  type: string;
  channels?: string[];
  event?: ChangeEvent;
  message?: string;
}

/** A WebSocket client of /ws that records every message. */
export class FeedClient {
  readonly messages: ServerMessage[] = [];
  #waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);

      for (const wake of this.#waiters.splice(0)) {
        wake();
      }
    });
  }

  /** Connects to `baseUrl`'s /ws and subscribes to `channels`, resolving once the server confirms. */
  static async connect(
    baseUrl: string,
    channels: string[],
  ): Promise<FeedClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/ws`);
    const client = new FeedClient(socket);

    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    client.send({ type: "subscribe", channels });
    await client.waitFor((message) => message.type === "subscribed");

    return client;
  }

  send(message: unknown): void {
    this.socket.send(
      typeof message === "string" ? message : JSON.stringify(message),
    );
  }

  /** Change events received so far. */
  get changes(): ChangeEvent[] {
    return this.messages
      .filter((message) => message.type === "change")
      .map((message) => message.event as ChangeEvent);
  }

  /** Waits for the first message that matches, failing after `timeoutMs`. */
  async waitFor(
    match: (message: ServerMessage) => boolean,
    timeoutMs = WAIT_MS,
  ): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;

    for (;;) {
      const found = this.messages.find(match);

      if (found) {
        return found;
      }

      const left = deadline - Date.now();

      if (left <= 0) {
        throw new Error(
          `no matching WebSocket message within ${timeoutMs} ms; received ${JSON.stringify(this.messages)}`,
        );
      }

      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a change event that matches. */
  async waitForChange(
    match: (event: ChangeEvent) => boolean,
    timeoutMs = WAIT_MS,
  ): Promise<ChangeEvent> {
    const message = await this.waitFor(
      (item) => item.type === "change" && match(item.event as ChangeEvent),
      timeoutMs,
    );

    return message.event as ChangeEvent;
  }

  close(): void {
    this.socket.close();
  }
}

export interface JsonResponse {
  status: number;
  body: any;
}

export async function request(
  baseUrl: string,
  pathname: string,
  init: RequestInit = {},
): Promise<JsonResponse> {
  const response = await fetch(`${baseUrl}${pathname}`, init);
  const text = await response.text();

  return {
    status: response.status,
    body: text === "" ? null : JSON.parse(text),
  };
}

export function postJson(
  baseUrl: string,
  pathname: string,
  payload: unknown,
): Promise<JsonResponse> {
  return request(baseUrl, pathname, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
