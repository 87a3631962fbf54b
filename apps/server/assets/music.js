// The player: what plays on the person's Spotify, the controls, devices, and search.
import { $, api, banner, busy, clock, el, explain, texts, toLogin, trackItem } from "./soiree.js";

let playback = null;
let refreshed = 0;

function fail(error) {
  if (error.status === 401 && error.code === "unauthenticated") { toLogin(); return; }
  banner(explain(error), "error");
}

function show(state) {
  playback = state;
  refreshed = Date.now();
  const item = state && state.item;
  $("title").textContent = item ? item.name : texts.nothing_playing;
  $("artists").textContent = item ? item.artists.join(", ") : "";
  $("art").hidden = !(item && item.artwork_url);
  if (item && item.artwork_url) $("art").src = item.artwork_url;
  const playing = Boolean(state && state.is_playing);
  $("icon-play").toggleAttribute("hidden", playing);
  $("icon-pause").toggleAttribute("hidden", !playing);
  const seek = $("seek");
  seek.disabled = !item;
  seek.max = item ? item.duration_ms : 1;
  seek.value = state && state.progress_ms ? state.progress_ms : 0;
  $("duration").textContent = clock(item && item.duration_ms);
  $("elapsed").textContent = clock(state && state.progress_ms);
  if (state && state.device && state.device.volume_percent !== undefined) $("volume").value = state.device.volume_percent;
}

async function refresh() {
  try {
    show(await api("GET", "/api/v1/player"));
    banner("");
  } catch (error) {
    fail(error);
  }
}

async function devices() {
  try {
    const { devices } = await api("GET", "/api/v1/player/devices");
    if (devices.length === 0) {
      $("devices").replaceChildren(el("li", { class: "muted" }, texts.no_devices));
      return;
    }
    $("devices").replaceChildren(...devices.map((device) => {
      const here = el("button", { type: "button", class: "small secondary", disabled: !device.id }, texts.play_here);
      here.addEventListener("click", () => command(here, "PUT", "/api/v1/player/device", { device_id: device.id, play: true }));
      return el("li", {},
        el("span", {}, device.name, " ", el("span", { class: "muted small" }, device.kind)),
        device.is_active ? el("span", { class: "badge ok" }, texts.playing_here) : here);
    }));
  } catch (error) {
    $("devices").replaceChildren(el("li", { class: "field-error" }, explain(error)));
    if (error.status === 401) toLogin();
  }
}

async function command(button, method, path, body) {
  await busy(button, async () => {
    try {
      await api(method, path, body);
      await refresh();
      await devices();
    } catch (error) { fail(error); }
  });
}

$("toggle").addEventListener("click", (event) => {
  const playing = playback && playback.is_playing;
  command(event.currentTarget, "PUT", playing ? "/api/v1/player/pause" : "/api/v1/player/play", playing ? undefined : {});
});
$("next").addEventListener("click", (event) => command(event.currentTarget, "POST", "/api/v1/player/next"));
$("previous").addEventListener("click", (event) => command(event.currentTarget, "POST", "/api/v1/player/previous"));
$("volume").addEventListener("change", (event) => command(null, "PUT", "/api/v1/player/volume", { volume_percent: Number(event.target.value) }));
$("seek").addEventListener("change", (event) => command(null, "PUT", "/api/v1/player/seek", { position_ms: Number(event.target.value) }));

$("search").addEventListener("submit", async (event) => {
  event.preventDefault();
  const q = $("query").value.trim();
  if (!q) { $("query").focus(); return; }
  try {
    const { tracks } = await api("GET", `/api/v1/player/search?q=${encodeURIComponent(q)}`);
    if (tracks.length === 0) { $("results").replaceChildren(el("li", { class: "muted" }, texts.no_results)); return; }
    $("results").replaceChildren(...tracks.map((track) => {
      const play = el("button", { type: "button", class: "small" }, texts.play);
      play.addEventListener("click", () => command(play, "PUT", "/api/v1/player/play", { uris: [track.uri] }));
      const queue = el("button", { type: "button", class: "small secondary" }, texts.add_to_queue);
      queue.addEventListener("click", () => busy(queue, async () => {
        try { await api("POST", "/api/v1/player/queue", { uri: track.uri }); queue.textContent = texts.added; } catch (error) { fail(error); }
      }));
      return trackItem(track, [play, queue]);
    }));
  } catch (error) { fail(error); }
});

// The elapsed time moves on between refreshes; the state is read again every few seconds while
// the page is in view (Spotify tells nobody when someone presses pause on a speaker).
setInterval(() => {
  if (playback && playback.is_playing && playback.item) {
    const position = Math.min(playback.item.duration_ms, (playback.progress_ms || 0) + (Date.now() - refreshed));
    $("elapsed").textContent = clock(position);
    $("seek").value = position;
  }
}, 1000);
setInterval(() => { if (document.visibilityState === "visible") refresh(); }, 5000);

refresh();
devices();
