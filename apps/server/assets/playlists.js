// Playlists: make one, open it, put its songs in order (drag, or ↑ on a phone), remove songs,
// rename or delete it. Songs are added from the Library page.
import { $, api, busy, el, onSubmit, showError, texts, toLogin } from "./soiree.js";

let opened = null;
/** What an entry shows: the playlist answer carries each track's title and artists when known. */
function describe(entry) {
  return { title: entry.title || entry.track_uri || "?", by: (entry.artists || []).join(", ") };
}

async function showList() {
  let listed;
  try {
    listed = await api("GET", "/api/v1/playlists");
  } catch (error) {
    if (error.status === 401) { toLogin(); return; }
    showError(error, {}, "banner");
    return;
  }
  $("playlists").replaceChildren(...(listed.playlists.length
    ? listed.playlists.map((playlist) => el("li", { class: "playlist", "data-playlist": playlist.id },
      el("button", { type: "button", class: "link", onclick: () => open(playlist.id) }, playlist.name),
      el("span", { class: "muted" }, ` ${playlist.entries} ${texts.playlist_songs}`)))
    : [el("li", { class: "muted" }, texts.playlist_none)]));
}

async function reorder(order) {
  $("entries-error").hidden = true;
  try {
    await show(await api("PUT", `/api/v1/playlists/${opened}/order`, { entries: order }));
  } catch (error) {
    showError(error, {}, "entries-error");
  }
}

async function show(playlist) {
  if (opened !== playlist.id) $("exported").hidden = true;
  opened = playlist.id;
  $("open").hidden = false;
  $("name").value = playlist.name;
  const ids = playlist.entries.map((entry) => entry.id);
  const items = await Promise.all(playlist.entries.map(async (entry, index) => {
    const { title, by } = describe(entry);
    const item = el("li", { class: "entry", draggable: "true", "data-entry": entry.id },
      el("span", { class: "entry-title" }, title),
      el("span", { class: "muted" }, by ? ` ${by} ` : " "),
      el("button", {
        type: "button", class: "small secondary up", "aria-label": texts.playlist_up, disabled: index === 0 ? "" : undefined,
        onclick: () => reorder([...ids.slice(0, index - 1), ids[index], ids[index - 1], ...ids.slice(index + 1)]),
      }, "↑"),
      el("button", { type: "button", class: "small secondary remove", onclick: (event) => busy(event.currentTarget, () => remove(entry.id)) }, texts.playlist_remove));
    item.addEventListener("dragstart", (event) => event.dataTransfer.setData("text/plain", entry.id));
    item.addEventListener("dragover", (event) => event.preventDefault());
    item.addEventListener("drop", (event) => {
      event.preventDefault();
      const moved = event.dataTransfer.getData("text/plain");
      if (!moved || moved === entry.id) return;
      const order = ids.filter((id) => id !== moved);
      order.splice(order.indexOf(entry.id), 0, moved);
      reorder(order);
    });
    return item;
  }));
  $("entries").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, texts.playlist_empty)]));
  await showList();
}

async function open(id) {
  try {
    await show(await api("GET", `/api/v1/playlists/${id}`));
  } catch (error) {
    showError(error, {}, "banner");
  }
}

async function remove(entry) {
  try {
    await show(await api("DELETE", `/api/v1/playlists/${opened}/tracks/${entry}`));
  } catch (error) {
    showError(error, {}, "entries-error");
  }
}

onSubmit($("new"), async () => {
  const playlist = await api("POST", "/api/v1/playlists", { name: $("new-name").value.trim() });
  $("new-name").value = "";
  await show(playlist);
}, { invalid_playlist_name: "new-name" }, "new-error");

onSubmit($("save-party"), async () => {
  const playlist = await api("POST", "/api/v1/playlists/from-room", { code: $("party-code").value.trim() });
  $("party-code").value = "";
  await showList();
  await show(playlist);
}, { room_not_found: "party-code", not_host: "party-code", nothing_played: "party-code" }, "party-error");

onSubmit($("rename"), async () => {
  await show(await api("PATCH", `/api/v1/playlists/${opened}`, { name: $("name").value.trim() }));
}, { invalid_playlist_name: "name" }, "rename-error");

$("export").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  const note = $("exported");
  note.hidden = true;
  try {
    const made = await api("POST", `/api/v1/playlists/${opened}/export`);
    note.replaceChildren(`${texts.playlist_exported} ${made.exported} ${texts.playlist_songs}`,
      made.skipped ? ` (${made.skipped} ${texts.playlist_export_skipped})` : "",
      made.url ? " · " : "",
      made.url ? el("a", { href: made.url, target: "_blank", rel: "noopener" }, texts.playlist_open_spotify) : "");
    note.hidden = false;
  } catch (error) {
    showError(error, {}, "entries-error");
  }
}));

$("delete").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  if (!window.confirm(texts.playlist_delete_confirm)) return;
  try {
    await api("DELETE", `/api/v1/playlists/${opened}`);
    opened = null;
    $("open").hidden = true;
    await showList();
  } catch (error) {
    showError(error, {}, "entries-error");
  }
}));

const wanted = new URLSearchParams(window.location.search).get("open");
showList().then(() => wanted && open(wanted));
