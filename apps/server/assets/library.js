// The library: search the server's music, browse it by artist and album, keep favourites, and
// play a song in this browser (the stream answers ranges, so the player seeks without
// downloading the whole file).
import { $, api, banner, el, explain, ApiError, showError, texts, toLogin } from "./soiree.js";

let query = "";
let filters = {};
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

async function toggleStar(song, button) {
  try {
    await api(song.starred ? "DELETE" : "PUT", `/api/v1/library/tracks/${song.id}/star`);
    song.starred = !song.starred;
    button.textContent = song.starred ? "★" : "☆";
    button.setAttribute("aria-label", song.starred ? texts.library_unstar : texts.library_star);
    button.setAttribute("aria-pressed", String(song.starred));
  } catch (error) {
    showError(error, {}, "banner");
  }
}

// A music service's track has no file here: a link to it on the service instead of Play.
function serviceLink(uri) {
  const spotify = /^spotify:track:([A-Za-z0-9]+)$/.exec(uri);
  if (spotify) {
    return el("a", {
      class: "button small secondary", href: `https://open.spotify.com/track/${spotify[1]}`,
      target: "_blank", rel: "noopener noreferrer", title: texts.library_service_track,
    }, texts.library_on_spotify);
  }
  return el("span", { class: "small muted", title: texts.library_service_track }, texts.library_on_soundcloud);
}

function songItem(song) {
  const what = [song.artists.join(", "), song.album].filter(Boolean).join(" · ");
  const star = el("button", {
    type: "button", class: "small secondary star", "aria-pressed": String(song.starred),
    "aria-label": song.starred ? texts.library_unstar : texts.library_star,
  }, song.starred ? "★" : "☆");
  star.addEventListener("click", () => toggleStar(song, star));
  return el("li", { class: "song", "data-song": song.id },
    song.stream_url
      ? el("button", { type: "button", class: "small", onclick: () => play(song) }, texts.library_play)
      : serviceLink(song.provider_uri),
    star,
    el("button", { type: "button", class: "small secondary add", "aria-label": texts.library_add_to, onclick: () => addTo(song) }, "+"),
    el("span", { class: "song-title" }, ` ${song.title} `),
    el("span", { class: "muted" }, `${what} ${clock(song.duration_ms)}`));
}

async function load(more) {
  const params = new URLSearchParams();
  if (query) params.set("q", query);
  for (const [name, value] of Object.entries(filters)) params.set(name, value);
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

function showBrowse(items, back) {
  $("browse").hidden = false;
  $("back-to-artists").hidden = !back;
  $("browse-list").replaceChildren(...items);
}

async function showArtists() {
  let found;
  try {
    found = await api("GET", "/api/v1/library/artists");
  } catch (error) {
    showError(error, {}, "banner");
    return;
  }
  showBrowse(found.artists.map((artist) => el("li", {},
    el("button", { type: "button", class: "link", onclick: () => showAlbums(artist.name) },
      artist.name || texts.library_unknown_artist),
    el("span", { class: "muted" }, ` ${artist.albums} ${texts.library_albums} · ${artist.tracks} ${texts.playlist_songs}`))), false);
}

async function showAlbums(artist) {
  let found;
  try {
    found = await api("GET", `/api/v1/library/albums?${new URLSearchParams({ artist })}`);
  } catch (error) {
    showError(error, {}, "banner");
    return;
  }
  showBrowse(found.albums.map((album) => el("li", {},
    el("button", { type: "button", class: "link", onclick: () => showAlbum(album) },
      album.title || texts.library_unknown_album),
    el("span", { class: "muted" }, ` ${[album.year, `${album.tracks} ${texts.playlist_songs}`].filter(Boolean).join(" · ")}`))), true);
}

function showAlbum(album) {
  query = "";
  $("query").value = "";
  filters = {};
  if (album.artist) filters.artist = album.artist;
  if (album.title) filters.album = album.title;
  page = 0;
  load(false);
}

async function showFavourites() {
  $("browse").hidden = true;
  let found;
  try {
    found = await api("GET", "/api/v1/library/favourites");
  } catch (error) {
    showError(error, {}, "banner");
    return;
  }
  $("songs").replaceChildren(...found.songs.map(songItem));
  $("count").textContent = found.songs.length ? `${texts.library_found} ${found.songs.length}` : texts.library_no_favourites;
  $("more").hidden = true;
}

$("show-all").addEventListener("click", () => {
  $("browse").hidden = true;
  query = "";
  $("query").value = "";
  filters = {};
  page = 0;
  load(false);
});
$("show-favourites").addEventListener("click", showFavourites);
$("show-artists").addEventListener("click", showArtists);
$("back-to-artists").addEventListener("click", showArtists);

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  query = $("query").value.trim();
  filters = {};
  page = 0;
  load(false);
});

function megabytes(bytes) {
  return `${(bytes / 1e6).toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`;
}

async function showUploads() {
  let found;
  try {
    found = await api("GET", "/api/v1/library/uploads");
  } catch {
    $("uploads-card").hidden = true;
    return;
  }
  const limit = found.limit_bytes === undefined ? texts.uploads_unlimited : megabytes(found.limit_bytes);
  $("storage").textContent = `${texts.uploads_used} ${megabytes(found.used_bytes)} ${texts.uploads_of} ${limit}`;
  const items = found.uploads.map((song) => {
    const item = songItem(song);
    item.append(el("button", {
      type: "button", class: "small secondary delete-upload",
      onclick: () => deleteUpload(song),
    }, texts.uploads_delete));
    return item;
  });
  $("uploads").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, texts.uploads_none)]));
}

async function deleteUpload(song) {
  if (!window.confirm(texts.uploads_delete_confirm)) return;
  try {
    await api("DELETE", `/api/v1/library/uploads/${song.id}`);
  } catch (error) {
    showError(error, {}, "banner");
  }
  showUploads();
  load(false);
}

/** Sends one file, showing how far it got; the answer's JSON (or an ApiError). */
function send(file) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/v1/library/uploads");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) $("upload-progress").value = Math.round((100 * event.loaded) / event.total);
    });
    request.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(request.responseText); } catch { data = null; }
      if (request.status >= 200 && request.status < 300) resolve(data); else reject(new ApiError(request.status, data));
    });
    request.addEventListener("error", () => reject(new ApiError(0, null)));
    const form = new FormData();
    form.append("file", file, file.name);
    request.send(form);
  });
}

$("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const files = [...$("upload-files").files];
  if (!files.length) {
    banner(texts.uploads_pick, "error");
    return;
  }
  const status = $("upload-status");
  status.replaceChildren();
  const progress = $("upload-progress");
  progress.hidden = false;
  // One request a file: each has its own progress and its own answer.
  for (const [index, file] of files.entries()) {
    progress.value = 0;
    const line = el("li", {}, `${texts.uploads_sending} ${file.name} (${index + 1}/${files.length})…`);
    status.append(line);
    try {
      const answer = await send(file);
      const stored = answer.uploaded[0];
      if (stored) {
        line.textContent = `${stored.duplicate ? texts.uploads_duplicate : texts.uploads_stored} ${stored.song.title}`;
      } else {
        line.textContent = `${texts.uploads_refused} ${file.name}: ${answer.refused[0]?.detail || ""}`;
      }
    } catch (error) {
      if (error.status === 401) { toLogin(); return; }
      line.textContent = `${texts.uploads_refused} ${file.name}: ${explain(error)}`;
      line.classList.add("error");
    }
  }
  progress.hidden = true;
  $("upload-files").value = "";
  showUploads();
  load(false);
});

$("more").addEventListener("click", () => {
  page += 1;
  load(true);
});

load(false);
showPlaylists();
showUploads();
