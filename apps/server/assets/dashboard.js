// The dashboard: the person's music services and parties at a glance.
import { $, api, el, explain, texts, toLogin } from "./soiree.js";
import { LIMITS, limitRows } from "./tiers.js";

const BADGES = {
  connected: "ok",
  configured: "warn",
  not_configured: "warn",
  needs_reconnect: "warn",
  not_available: "",
};

function statusText(connection) {
  if (connection.status === "connected") return `${texts.status_connected} ${connection.account_name || ""}`.trim();
  return texts[`status_${connection.status}`] || connection.status;
}

async function services() {
  try {
    const { connections } = await api("GET", "/api/v1/connections");
    $("services").replaceChildren(...connections.map((connection) => el("li", {},
      el("span", {}, connection.name),
      connection.status === "connected" || connection.status === "not_available"
        ? el("span", { class: `badge ${BADGES[connection.status]}` }, statusText(connection))
        : el("a", { href: "/connect", class: `badge ${BADGES[connection.status]}` }, statusText(connection)))));
  } catch (error) {
    if (error.status === 401) { toLogin(); return; }
    $("services").replaceChildren(el("li", { class: "field-error" }, explain(error)));
  }
}

async function rooms() {
  try {
    const { rooms } = await api("GET", "/api/v1/me/rooms");
    if (rooms.length === 0) {
      $("rooms").replaceChildren(el("li", { class: "muted" }, texts.no_rooms));
      return;
    }
    $("rooms").replaceChildren(...rooms.map((room) => el("li", {},
      el("a", { href: `/rooms/${room.code}` }, room.name || room.code),
      el("span", {},
        room.is_host ? el("span", { class: "badge ok" }, texts.host_badge) : null, " ",
        room.closed ? el("span", { class: "badge" }, texts.closed_badge) : null, " ",
        el("span", { class: "mono muted small" }, room.code)))));
  } catch (error) {
    $("rooms").replaceChildren(el("li", { class: "field-error" }, explain(error)));
  }
}

services();
rooms();

// A login from a new device, not yet acknowledged: said on the next visit, with where to look.
async function attention() {
  try {
    const { needs_attention: count } = await api("GET", "/api/v1/me/security-events?limit=20");
    if (count > 0) {
      const note = $("attention");
      note.replaceChildren(el("span", {}, `${texts.attention_new_device} `),
        el("a", { href: "/settings#security" }, texts.events_review));
      note.hidden = false;
    }
  } catch {
    // The rest of the dashboard stands without it.
  }
}

attention();

// The tier's quotas with what is used of them (rooms open, playlists kept, uploads stored).
async function quotas() {
  try {
    const standing = await api("GET", "/api/v1/me/tier");
    const shown = new Set(["open_rooms", "playlists", "storage_bytes"]);
    $("quota-rows").replaceChildren(...limitRows(standing).filter((_, index) => shown.has(LIMITS[index])));
    $("quotas").hidden = false;
  } catch {
    // The rest of the dashboard stands without it.
  }
}

quotas();
