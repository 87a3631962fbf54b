// The TV screen: what plays, what comes next, and how to join, live, for a screen nobody touches.
import { $, api, explain, el, texts } from "./soiree.js";

const root = $("tv");
const code = root.dataset.code;
const signedIn = root.dataset.signedIn === "true";
const base = `/api/v1/rooms/${code}`;
const silence = $("title").textContent;

const tracks = new Map();
let order = 0;
let nowPlaying = null;
let lastSeq = 0;
let retries = 0;
let socket = null;

function upsert(uri, fields) {
  const known = tracks.get(uri) || { state: "candidate", order: order++ };
  tracks.set(uri, { ...known, ...fields, track: fields.track || known.track });
}

function render() {
  const playing = nowPlaying && tracks.get(nowPlaying);
  const track = playing && playing.track;
  $("title").textContent = track ? track.title : (nowPlaying || silence);
  $("artists").textContent = track ? track.artists.join(", ") : "";
  $("art").hidden = !(track && track.artwork_url);
  if (track && track.artwork_url) $("art").src = track.artwork_url;
  const next = [...tracks.values()].filter((entry) => entry.state === "ready").sort((a, b) => a.order - b.order).slice(0, 5);
  $("next-label").hidden = next.length === 0;
  $("next").replaceChildren(...next.map((entry) => el("li", {},
    entry.track ? `${entry.track.title} · ${entry.track.artists.join(", ")}` : entry.track_uri)));
}

async function load() {
  try {
    const snapshot = await api("GET", base);
    tracks.clear();
    for (const entry of snapshot.queue) upsert(entry.track_uri, { state: entry.state, track: entry.track, track_uri: entry.track_uri });
    nowPlaying = snapshot.now_playing || null;
    lastSeq = snapshot.last_seq;
    $("problem").hidden = true;
    render();
    listen();
  } catch (error) {
    if ((error.status === 401 || error.code === "not_a_participant") && signedIn) {
      try { await api("POST", `${base}/join`); await load(); } catch (again) { problem(explain(again)); }
      return;
    }
    if (error.status === 401 || error.code === "not_a_participant") { $("sign-in").hidden = false; return; }
    if (error.code === "room_closed") { problem(texts.room_closed); return; }
    problem(explain(error));
    later();
  }
}

function problem(message) {
  $("problem").textContent = message;
  $("problem").hidden = !message;
}

function later() {
  retries += 1;
  setTimeout(load, Math.min(10000, 500 * 2 ** retries));
}

function listen() {
  socket?.close();
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const current = new WebSocket(`${scheme}://${window.location.host}${base}/events?after=${lastSeq}`);
  socket = current;
  current.addEventListener("open", () => { retries = 0; });
  current.addEventListener("message", (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    if (event.seq && event.seq <= lastSeq) return;
    if (event.seq) lastSeq = event.seq;
    switch (event.type) {
      case "vote_tallied":
        upsert(event.track_uri, { state: event.track_state, track: event.track, track_uri: event.track_uri });
        break;
      case "track_ready":
        upsert(event.track_uri, { state: "ready", track: event.track, track_uri: event.track_uri });
        break;
      case "now_playing":
        if (nowPlaying && tracks.has(nowPlaying)) upsert(nowPlaying, { state: "played" });
        upsert(event.track_uri, { state: "playing", track: event.track, track_uri: event.track_uri });
        nowPlaying = event.track_uri;
        problem("");
        break;
      case "playback_failed":
        problem(`${texts.host_problem} ${texts[event.code] || event.message || ""}`);
        return;
      case "room_closed":
        socket = null;
        current.close();
        problem(texts.room_closed);
        return;
      default:
        return;
    }
    render();
  });
  current.addEventListener("close", () => {
    if (socket !== current) return;
    later();
  });
}

load();
