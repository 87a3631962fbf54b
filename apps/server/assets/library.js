// The library: search the server's music and play a song in this browser (the stream answers
// ranges, so the player seeks without downloading the whole file).
import { $, api, banner, el, showError, texts, toLogin } from "./soiree.js";

let query = "";
let page = 0;

function clock(ms) {
  if (!ms) return "";
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function play(song) {
  const player = $("player");
  player.src = song.stream_url;
  $("playing-title").textContent = song.title;
  $("playing-artists").textContent = song.artists.join(", ");
  $("cover").hidden = !song.cover_url;
  if (song.cover_url) $("cover").src = song.cover_url;
  $("now").hidden = false;
  player.play().catch(() => {});
}

async function addTo(song) {
  const select = $("add-to");
  if (!select.value) {
    banner(texts.library_add_to, "error");
    select.focus();
    return;
  }
  try {
    await api("POST", `/api/v1/playlists/${select.value}/tracks`, { tracks: [song.id] });
    banner(`${texts.playlist_added} ${select.selectedOptions[0].textContent}: ${song.title}`, "ok");
  } catch (error) {
    showError(error, {}, "banner");
  }
}

async function showPlaylists() {
  try {
    const { playlists } = await api("GET", "/api/v1/playlists");
    $("add-to").append(...playlists.map((playlist) => el("option", { value: playlist.id }, playlist.name)));
  } catch {
    // Searching and playing stand without it.
  }
}

function songItem(song) {
  const what = [song.artists.join(", "), song.album].filter(Boolean).join(" · ");
  return el("li", { class: "song", "data-song": song.id },
    el("button", { type: "button", class: "small", onclick: () => play(song) }, texts.library_play),
    el("button", { type: "button", class: "small secondary add", "aria-label": texts.library_add_to, onclick: () => addTo(song) }, "+"),
    el("span", { class: "song-title" }, ` ${song.title} `),
    el("span", { class: "muted" }, `${what} ${clock(song.duration_ms)}`));
}

async function load(more) {
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  params.set("page", String(page));
  let found;
  try {
    found = await api("GET", `/api/v1/songs?${params}`);
  } catch (error) {
    if (error.status === 401) { toLogin(); return; }
    showError(error, {}, "banner");
    return;
  }
  const items = found.songs.map(songItem);
  if (more) $("songs").append(...items); else $("songs").replaceChildren(...items);
  $("count").textContent = found.total ? `${texts.library_found} ${found.total}` : texts.library_nothing;
  $("empty").hidden = !(found.total === 0 && !query);
  const shown = (found.page + 1) * found.page_size;
  $("more").hidden = shown >= found.total;
  $("more").textContent = texts.library_more;
}

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  query = $("query").value.trim();
  page = 0;
  load(false);
showPlaylists();
});

$("more").addEventListener("click", () => {
  page += 1;
  load(true);
});

load(false);
showPlaylists();
