// The dashboard: the person's music services and parties at a glance.
import { $, api, el, explain, showError, texts, toLogin } from "./soiree.js";
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

// The liked-track sync: per service, the likes kept and the last run, or the run under way
// (followed every two seconds while it goes), and "Sync now".
const SERVICE_NAMES = { spotify: "Spotify", soundcloud: "SoundCloud" };
let following = null;

function at(time) {
  return new Date(time).toLocaleString(document.documentElement.lang, { dateStyle: "short", timeStyle: "short" });
}

function syncLine(service) {
  const name = el("span", {}, SERVICE_NAMES[service.service] || service.service);
  const last = service.runs[0];
  let said;
  if (service.stopped) {
    said = el("span", {}, el("span", { class: "badge warn" }, `${texts.sync_stopped} ${service.stopped}`), " ",
      el("a", { href: "/connect" }, texts.sync_reconnect));
  } else if (service.running && service.running.waiting_until) {
    said = el("span", { class: "badge warn" }, `${texts.sync_waiting} ${at(service.running.waiting_until)}`);
  } else if (service.running) {
    said = el("span", { class: "badge" }, `${texts.sync_running} ${service.running.pages + 1}, ${service.running.added} ${texts.sync_new}`);
  } else if (last && last.outcome === "failed") {
    said = el("span", { class: "badge warn" }, `${texts.sync_failed} ${last.reason || ""}`);
  } else if (last) {
    const changes = [`${last.added} ${texts.sync_new}`];
    if (last.removed) changes.push(`${last.removed} ${texts.sync_removed}`);
    said = el("span", { class: "muted" }, `${texts.sync_last} ${at(last.finished_at)}: ${changes.join(", ")}`);
  } else {
    said = el("span", { class: "muted" }, texts.sync_never);
  }
  return el("li", { "data-service": service.service }, name,
    el("span", {}, el("strong", {}, `${service.likes} ${texts.sync_likes}`), " · ", said));
}

async function syncStatus(answer) {
  let status = answer;
  try {
    if (!status) status = await api("GET", "/api/v1/library/sync");
  } catch {
    return; // The rest of the dashboard stands without it.
  }
  $("sync-title").textContent = texts.sync_title;
  $("sync-hint").textContent = texts.sync_hint;
  $("sync-now").textContent = texts.sync_now;
  $("sync-services").replaceChildren(...(status.services.length
    ? status.services.map(syncLine)
    : [el("li", { class: "muted" }, texts.sync_none)]));
  $("sync-now").hidden = status.services.length === 0;
  const kb = (status.drive.bytes / 1e3).toLocaleString(document.documentElement.lang, { maximumFractionDigits: 1 });
  $("sync-drive").replaceChildren(`${texts.sync_drive} `, el("span", { class: "mono" }, status.drive.path),
    ` (liked.jsonl, liked.m3u8) · ${kb} kB`);
  const downloads = status.drive.downloads;
  const parts = [];
  if (downloads.done) parts.push(texts.downloads_done.replace("{count}", downloads.done));
  if (downloads.pending) parts.push(texts.downloads_pending.replace("{count}", downloads.pending));
  if (downloads.no_room) parts.push(texts.downloads_no_room.replace("{count}", downloads.no_room));
  if (downloads.failed) parts.push(texts.downloads_failed.replace("{count}", downloads.failed));
  $("sync-downloads").hidden = parts.length === 0;
  $("sync-downloads").textContent = `${texts.downloads_title} ${parts.join(" · ")}`;
  $("sync-status").hidden = false;
  const going = status.services.some((service) => service.running && !service.running.waiting_until);
  const waitingFor = following && Date.now() < following.until
    && status.services.every((service) => service.runs.length <= (following.runs[service.service] ?? 0));
  // Downloads on their way (not waiting out a failure) are followed too.
  const downloading = downloads.unfinished.some((file) => file.state === "pending" && !file.reason);
  if (going || waitingFor || downloading) setTimeout(() => syncStatus(), 2000);
  else following = null;
}

$("sync-now").addEventListener("click", async () => {
  $("sync-now").disabled = true;
  try {
    const status = await api("POST", "/api/v1/library/sync");
    following = {
      until: Date.now() + 30000,
      runs: Object.fromEntries(status.services.map((service) => [service.service, service.runs.length])),
    };
    await syncStatus(status);
  } catch (error) {
    showError(error, {}, "attention");
  } finally {
    $("sync-now").disabled = false;
  }
});

syncStatus();
