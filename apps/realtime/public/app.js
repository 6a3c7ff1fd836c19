// Live feed page: loads GET /feed, then applies WebSocket change messages.
// Every text from the server goes through textContent, never innerHTML.
/* global document, location, history */
"use strict";

const MAX_ITEMS = 200;
const RECONNECT_MAX_MS = 10000;

const feed = document.getElementById("feed");
const statusLine = document.getElementById("status");
const channelInput = document.getElementById("channel");
let channel = new URLSearchParams(location.search).get("channel") || "all";
let socket;
let reconnectDelay = 500;

function setStatus(state, text) {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function describe(event) {
  const p = event.payload;

  if (event.model === "comment") {
    return `${p.author || "anonymous"} on “${p.postTitle || `post ${p.postId}`}”: ${p.text || ""}`;
  }

  if (event.model === "vote") {
    return `${p.voteType} vote on “${p.postTitle || `post ${p.postId}`}”`;
  }

  return `${p.author || `user ${p.userId}`} earned the ${p.badgeClass} badge ${p.name}`;
}

function render(event, fresh) {
  const key = `${event.model}-${event.id}`;
  const existing = document.getElementById(key);

  if (event.action === "delete") {
    existing?.classList.add("deleted");

    return;
  }

  const item = existing || document.createElement("li");
  item.id = key;
  item.dataset.model = event.model;
  item.className = fresh ? "fresh" : "";
  item.textContent = "";

  const kind = document.createElement("span");
  kind.className = "kind";
  kind.textContent = event.model;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = describe(event);
  const meta = document.createElement("div");
  meta.className = "meta";
  meta.textContent = new Date(event.publishedAt).toLocaleString();
  item.append(kind, text, meta);

  if (!existing) {
    feed.prepend(item);
  }

  while (feed.children.length > MAX_ITEMS) {
    feed.lastElementChild.remove();
  }
}

async function loadFeed() {
  const response = await fetch(
    `/feed?limit=50&channel=${encodeURIComponent(channel)}`,
  );
  const body = await response.json();

  if (!response.ok) {
    setStatus("closed", body.message);

    return;
  }

  feed.textContent = "";

  for (const event of body.items.slice().reverse()) {
    render(event, false);
  }
}

function connect() {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  socket = new WebSocket(url);
  setStatus("connecting", "connecting…");

  socket.addEventListener("open", () => {
    reconnectDelay = 500;
    socket.send(JSON.stringify({ type: "subscribe", channels: [channel] }));
  });

  socket.addEventListener("message", (message) => {
    const data = JSON.parse(message.data);

    if (data.type === "subscribed") {
      setStatus("open", `live on ${data.channels.join(", ")}`);
      // Loading after subscribing means no change falls between the two.
      loadFeed().catch((error) =>
        setStatus("closed", `loading the feed failed: ${error.message}`),
      );
    } else if (data.type === "change") {
      render(data.event, true);
    } else if (data.type === "resync") {
      loadFeed();
    } else if (data.type === "error") {
      setStatus("closed", data.message);
    }
  });

  socket.addEventListener("close", () => {
    setStatus(
      "closed",
      `disconnected; retrying in ${Math.round(reconnectDelay / 1000)} s`,
    );
    setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
  });
}

document
  .getElementById("channel-form")
  .addEventListener("submit", async (event) => {
    event.preventDefault();
    const next = channelInput.value.trim();

    const previous = channel;
    channel = next;
    history.replaceState(null, "", `?channel=${encodeURIComponent(channel)}`);

    if (socket?.readyState === WebSocket.OPEN) {
      socket.send(
        JSON.stringify({ type: "unsubscribe", channels: [previous] }),
      );
      // The "subscribed" reply reloads the feed.
      socket.send(JSON.stringify({ type: "subscribe", channels: [next] }));
    }
  });

document
  .getElementById("comment-form")
  .addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = document.getElementById("comment-result");
    const response = await fetch("/comments", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        postId: Number(document.getElementById("post-id").value),
        text: document.getElementById("comment-text").value,
        userName: "guest",
      }),
    });
    const body = await response.json();
    result.textContent = response.ok ? "sent" : body.message;
  });

channelInput.value = channel;
connect();
