/** LISTEN/NOTIFY: a reconnecting listener on a dedicated connection, and a transactional notify(). */
export { listen, PostgresListener, backoffDelay } from "./listener.js";
export type {
  ListenerEvents,
  ListenerOptions,
  ListenTarget,
  NotificationHandler,
  NotificationMessage,
} from "./listener.js";
export { notify } from "./notify.js";
export { MAX_CHANNEL_BYTES, MAX_PAYLOAD_BYTES } from "./channel.js";
