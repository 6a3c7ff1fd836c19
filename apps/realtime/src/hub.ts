/**
 * The WebSocket side: clients connect to /ws, subscribe to channels, and
 * receive each change of their channels once.
 *
 * Client messages (JSON):
 *   { "type": "subscribe", "channels": ["all", "post:1"] }
 *   { "type": "unsubscribe", "channels": ["post:1"] }
 * Server messages (JSON):
 *   { "type": "subscribed", "channels": [...] }   the client's channels after each request
 *   { "type": "change", "event": ChangeEvent }
 *   { "type": "resync" }                          changes may have been missed; reload GET /feed
 *   { "type": "error", "message": "..." }
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyBaseLogger } from "fastify";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { parseChannel, type ChangeEvent } from "./events.js";

/** Most channels one client may hold. */
const MAX_CHANNELS = 50;
/** Largest client message in bytes. */
const MAX_MESSAGE_BYTES = 16 * 1024;
/** A client with more unsent bytes than this is too slow and is disconnected. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** Milliseconds between pings. A client that sent no pong for the previous ping is dropped. */
const HEARTBEAT_MS = 30_000;

interface ClientState {
  channels: Set<string>;
  alive: boolean;
}

export class Hub {
  readonly #server = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
  });
  readonly #clients = new Map<WebSocket, ClientState>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(private readonly log: FastifyBaseLogger) {
    this.#heartbeat = setInterval(() => this.#ping(), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Accepts an HTTP upgrade on /ws; other paths get a 404 and the socket is closed. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? "/", "http://localhost");

    if (url.pathname !== "/ws") {
      socket.end(
        "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
      );

      return;
    }

    this.#server.handleUpgrade(request, socket, head, (client) =>
      this.#accept(client, url.searchParams.get("channels")),
    );
  }

  /** Sends `event` once to every client subscribed to at least one of its channels. */
  deliver(event: ChangeEvent): void {
    const message = JSON.stringify({ type: "change", event });

    for (const [client, state] of this.#clients) {
      if (event.channels.some((channel) => state.channels.has(channel))) {
        this.#send(client, message);
      }
    }
  }

  /** Sends a resync message to every client. */
  resync(): void {
    const message = JSON.stringify({ type: "resync" });

    for (const client of this.#clients.keys()) {
      this.#send(client, message);
    }
  }

  /** Closes every client with code 1001 (going away) and stops the heartbeat. */
  async close(): Promise<void> {
    clearInterval(this.#heartbeat);

    for (const client of this.#clients.keys()) {
      client.close(1001, "server shutting down");
    }

    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: WebSocket, initialChannels: string | null): void {
    const state: ClientState = { channels: new Set(), alive: true };
    this.#clients.set(client, state);

    client.on("pong", () => {
      state.alive = true;
    });
    client.on("message", (data, isBinary) =>
      this.#receive(client, state, data, isBinary),
    );
    client.on("close", () => this.#clients.delete(client));
    client.on("error", (error) =>
      this.log.warn({ err: error }, "WebSocket client failed"),
    );

    if (initialChannels) {
      this.#subscribe(client, state, "subscribe", initialChannels.split(","));
    }
  }

  #receive(
    client: WebSocket,
    state: ClientState,
    data: RawData,
    isBinary: boolean,
  ): void {
    let message: { type?: unknown; channels?: unknown };

    try {
      message = isBinary ? {} : (JSON.parse(data.toString()) as typeof message);
    } catch {
      this.#fail(client, "invalid message: expected JSON text");

      return;
    }

    if (
      (message.type === "subscribe" || message.type === "unsubscribe") &&
      Array.isArray(message.channels)
    ) {
      this.#subscribe(client, state, message.type, message.channels);

      return;
    }

    this.#fail(
      client,
      'invalid message: expected {"type":"subscribe"|"unsubscribe","channels":[...]}',
    );
  }

  #subscribe(
    client: WebSocket,
    state: ClientState,
    type: "subscribe" | "unsubscribe",
    names: unknown[],
  ): void {
    let channels: string[];

    try {
      channels = names.map(parseChannel);
    } catch (error) {
      this.#fail(client, (error as Error).message);

      return;
    }

    if (type === "unsubscribe") {
      channels.forEach((channel) => state.channels.delete(channel));
    } else if (new Set([...state.channels, ...channels]).size > MAX_CHANNELS) {
      this.#fail(
        client,
        `too many channels: a client may subscribe to at most ${MAX_CHANNELS}`,
      );

      return;
    } else {
      channels.forEach((channel) => state.channels.add(channel));
    }

    this.#send(
      client,
      JSON.stringify({ type: "subscribed", channels: [...state.channels] }),
    );
  }

  #fail(client: WebSocket, message: string): void {
    this.#send(client, JSON.stringify({ type: "error", message }));
  }

  #send(client: WebSocket, message: string): void {
    if (client.readyState !== client.OPEN) {
      return;
    }

    if (client.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.log.warn(
        { bufferedAmount: client.bufferedAmount },
        "WebSocket client too slow; disconnecting it",
      );
      client.close(1013, "too slow; reconnect and reload the feed");

      return;
    }

    client.send(message);
  }

  #ping(): void {
    for (const [client, state] of this.#clients) {
      if (!state.alive) {
        client.terminate();
        continue;
      }

      state.alive = false;
      client.ping();
    }
  }
}
