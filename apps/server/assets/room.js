// A party room, for everyone in it: join (signed in, or as a guest with a nickname), see what
// plays and what comes next, like or dislike, add songs, vote to skip; for the host, sharing,
// the rules, the people, and closing. Everything stays live over the room's event socket; when
// the socket drops, the page reads the room afresh and carries on from there.
import { $, ApiError, api, banner, busy, clearErrors, el, explain, fieldError, onSubmit, showError, texts, trackItem } from "./soiree.js";

const root = $("room");
const code = root.dataset.code;
const signedIn = root.dataset.signedIn === "true";
const base = `/api/v1/rooms/${code}`;

/** The room as last read, kept current by events. */
const room = {
  info: null,
  present: 0,
  needed: 0,
  lastSeq: 0,
  /** track URI → { track_uri, track, state, likes, dislikes, net, order } */
  tracks: new Map(),
  nowPlaying: null,
  order: 0,
};

// This phone's own votes, so that its buttons show what it chose (the server keeps one vote per
// person and track; the page remembers which).
const votesKey = `soiree.votes.${code}`;
const myVotes = new Map(Object.entries(JSON.parse(localStorage.getItem(votesKey) || "{}")));
function remember(uri, like) {
  if (like === undefined) myVotes.delete(uri); else myVotes.set(uri, like);
  localStorage.setItem(votesKey, JSON.stringify(Object.fromEntries(myVotes)));
}

let socket = null;
let retries = 0;
let ended = false;

function show(section) {
  for (const id of ["join", "inside", "closed"]) $(id).hidden = id !== section;
}

function closed() {
  ended = true;
  socket?.close();
  banner("");
  show("closed");
}

// ---- Reading the room ----

async function load() {
  try {
    const snapshot = await api("GET", base);
    enter(snapshot);
  } catch (error) {
    if (error.code === "room_closed") { closed(); return; }
    if (error.status === 401 || error.code === "not_a_participant") {
      // Inside a moment ago and now refused: the host removed this person.
      const removed = room.info !== null;
      room.info = null;
      const dropped = socket;
      socket = null;
      dropped?.close();
      if (signedIn && !removed) { await join(); return; }
      show("join");
      if (removed) banner(texts.removed_from_room, "error"); else $("nickname")?.focus();
      return;
    }
    banner(explain(error));
    reconnectLater();
  }
}

function enter(snapshot) {
  room.info = snapshot.room;
  room.present = snapshot.participants_present;
  room.needed = snapshot.likes_needed;
  room.lastSeq = snapshot.last_seq;
  room.tracks.clear();
  for (const entry of snapshot.queue) upsert(entry.track_uri, entry);
  room.nowPlaying = snapshot.now_playing || null;
  if (room.info.closed) { closed(); return; }
  show("inside");
  banner("");
  renderAll();
  if (room.info.is_host) hostSetup();
  listen();
  showRecommended();
}

/** Songs recommended to this person (liked by people with their taste) that the room can play. */
async function showRecommended() {
  if (!signedIn) return;
  let found;
  try { ({ recommendations: found } = await api("GET", `${base}/recommendations`)); } catch { return; }
  $("recommended").hidden = found.length === 0;
  $("recommended-title").textContent = texts.room_recommended;
  $("recommended-list").replaceChildren(...found.map((found) => {
    const add = el("button", { type: "button", class: "small" }, texts.room_recommended_vote);
    add.addEventListener("click", () => busy(add, async () => {
      if (await vote(found.track.uri, true, false)) { add.textContent = texts.added; add.disabled = true; }
    }));
    const item = trackItem(found.track, [add]);
    item.querySelector(".by").append(el("div", { class: "small muted reason" }, found.reason));
    return item;
  }));
}

function upsert(uri, fields) {
  const known = room.tracks.get(uri) || { track_uri: uri, likes: 0, dislikes: 0, net: 0, state: "candidate", order: room.order++ };
  const merged = { ...known, ...fields };
  if (fields.likes !== undefined || fields.dislikes !== undefined) merged.net = merged.likes - merged.dislikes;
  if (!merged.track && known.track) merged.track = known.track;
  room.tracks.set(uri, merged);
  return merged;
}

// ---- Showing it ----

const RANK = { ready: 0, candidate: 1 };

function renderAll() {
  renderPlaying();
  renderQueue();
  renderPresence();
}

const silence = $("playing-title").textContent;

function renderPlaying() {
  const entry = room.nowPlaying && room.tracks.get(room.nowPlaying);
  const track = entry && entry.track;
  $("playing-title").textContent = track ? track.title : (room.nowPlaying || silence);
  $("playing-artists").textContent = track ? track.artists.join(", ") : "";
  $("playing-art").hidden = !(track && track.artwork_url);
  if (track && track.artwork_url) $("playing-art").src = track.artwork_url;
  $("skip").hidden = !room.nowPlaying;
}

function voteButton(entry, like) {
  const mine = myVotes.get(entry.track_uri);
  const pressed = mine === like;
  const button = el("button", {
    type: "button",
    class: `vote ${like ? "like" : "dislike"}`,
    "aria-pressed": String(pressed),
    "aria-label": like ? texts.like : texts.dislike,
    title: like ? texts.like : texts.dislike,
  }, like ? "👍" : "👎");
  button.addEventListener("click", () => busy(button, () => vote(entry.track_uri, like, pressed)));
  return button;
}

function renderQueue() {
  const entries = [...room.tracks.values()]
    .filter((entry) => entry.state === "ready" || entry.state === "candidate")
    .sort((a, b) => RANK[a.state] - RANK[b.state]
      || (a.state === "ready" ? a.order - b.order : (b.net - a.net || b.likes - a.likes || a.order - b.order)));
  $("queue").replaceChildren(...entries.map((entry) => {
    const track = entry.track || { uri: entry.track_uri, title: entry.track_uri, artists: [] };
    const count = el("span", { class: "count" }, `${entry.likes}/${room.needed}`);
    const item = trackItem(track, [count, voteButton(entry, true), voteButton(entry, false)],
      { class: `track ${entry.state}`, "data-uri": entry.track_uri });
    // On its own line: a long title is cut short on a phone, the state must not be.
    if (entry.state === "ready") item.querySelector(".info").append(el("div", { class: "state" }, el("span", { class: "badge warn" }, texts.state_ready)));
    const share = Math.min(100, Math.round((100 * entry.likes) / Math.max(1, room.needed)));
    const bar = el("span");
    bar.style.width = `${share}%`; // through the CSSOM: the pages' CSP forbids style attributes
    item.querySelector(".info").append(el("div", { class: "progress", "aria-hidden": "true" }, bar));
    return item;
  }));
  $("queue-empty").hidden = entries.length > 0;
  $("needed").textContent = `· ${room.needed} ${texts.needed}`;
}

function renderPresence() {
  $("present").textContent = `${room.present} ${texts.present}`;
}

// ---- Live events ----

function listen() {
  if (ended) return;
  socket?.close();
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  const current = new WebSocket(`${scheme}://${window.location.host}${base}/events?after=${room.lastSeq}`);
  socket = current;
  current.addEventListener("open", () => { retries = 0; banner(""); });
  current.addEventListener("message", (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    apply(event);
  });
  current.addEventListener("close", () => {
    if (socket !== current || ended) return;
    banner(texts.reconnecting, "");
    reconnectLater();
  });
}

/** After a drop: read the room again (it may be closed, or this person removed) and listen on. */
function reconnectLater() {
  if (ended) return;
  const wait = Math.min(10000, 500 * 2 ** retries);
  retries += 1;
  setTimeout(load, wait);
}

function apply(event) {
  if (event.seq && event.seq <= room.lastSeq) return;
  if (event.seq) room.lastSeq = event.seq;
  switch (event.type) {
    case "vote_tallied":
      upsert(event.track_uri, { likes: event.likes, dislikes: event.dislikes, state: event.track_state, ...(event.track ? { track: event.track } : {}) });
      room.needed = event.like_threshold;
      renderQueue();
      break;
    case "track_ready":
      upsert(event.track_uri, { state: "ready", ...(event.track ? { track: event.track } : {}) });
      renderQueue();
      break;
    case "now_playing":
      if (room.nowPlaying && room.tracks.has(room.nowPlaying)) upsert(room.nowPlaying, { state: "played" });
      upsert(event.track_uri, { state: "playing", ...(event.track ? { track: event.track } : {}) });
      room.nowPlaying = event.track_uri;
      $("skips").textContent = "";
      renderAll();
      if (room.info.is_host) banner("");
      break;
    case "skip_tallied":
      $("skips").textContent = `${event.skips} ${texts.skips_of} ${event.needed}`;
      break;
    case "participant_joined":
      room.present += 1;
      renderPresence();
      if (room.info.is_host) peopleSoon();
      break;
    case "participant_left":
      room.present = Math.max(0, room.present - 1);
      renderPresence();
      if (room.info.is_host) peopleSoon();
      break;
    case "playback_failed":
      if (room.info.is_host) banner(`${texts.host_problem} ${texts[event.code] || event.message || ""}`, "error");
      break;
    case "room_updated":
      load();
      break;
    case "room_closed":
      closed();
      break;
    default:
      break;
  }
}

// ---- Doing things ----

async function join() {
  clearErrors($("join"));
  try {
    const nickname = $("nickname")?.value.trim();
    await api("POST", `${base}/join`, signedIn ? undefined : { display_name: nickname });
    await load();
  } catch (error) {
    if (error.code === "room_closed") { closed(); return; }
    show("join");
    showError(error, { invalid_display_name: "nickname" }, "join-error");
  }
}

$("join-guest")?.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!$("nickname").value.trim()) {
    fieldError("nickname", texts.invalid_display_name);
    $("nickname").focus();
    return;
  }
  busy(event.target.querySelector("button[type=submit]"), join);
});
$("join-account")?.addEventListener("click", (event) => busy(event.currentTarget, join));

async function vote(uri, like, undo, onError = roomProblem) {
  try {
    const result = undo
      ? await api("DELETE", `${base}/votes/${encodeURIComponent(uri)}`)
      : await api("POST", `${base}/votes`, { track_uri: uri, is_like: like });
    // The counts and the track's state come from the room's events (this vote's among them):
    // an answer can arrive after later events, and must not take the room back in time.
    remember(uri, undo ? undefined : like);
    renderQueue();
    return result;
  } catch (error) {
    if (error.code === "vote_not_found") { remember(uri, undefined); renderQueue(); return null; }
    onError(error);
    return null;
  }
}

/** A refusal inside the room: the room may have closed or this person been removed. */
function roomProblem(error) {
  if (error.code === "room_closed") { closed(); return; }
  if (error.code === "not_a_participant" || error.code === "removed_from_room" || error.status === 401) { load(); return; }
  banner(explain(error), "error");
}

function looksLikeLink(text) {
  return /^(https?:\/\/|spotify:|soundcloud:)/i.test(text);
}

/** A Spotify share link as the track URI the server makes of it (so this phone's vote shows). */
function trackUri(link) {
  const match = link.match(/open\.spotify\.com\/(?:intl-[a-z-]+\/)?track\/([A-Za-z0-9]+)/i);
  return match ? `spotify:track:${match[1]}` : link;
}

$("add").addEventListener("submit", (event) => {
  event.preventDefault();
  const query = $("add-query").value.trim();
  $("add-error").hidden = true;
  if (!query) { $("add-query").focus(); return; }
  busy(event.target.querySelector("button[type=submit]"), async () => {
    if (looksLikeLink(query)) {
      const added = await vote(trackUri(query), true, false, (error) => {
        if (error.code === "invalid_track") showError(error, {}, "add-error"); else roomProblem(error);
      });
      if (added) $("add-query").value = "";
      return;
    }
    try {
      const { tracks } = await api("GET", `${base}/search?q=${encodeURIComponent(query)}`);
      if (tracks.length === 0) { $("found").replaceChildren(el("li", { class: "muted" }, texts.no_results)); return; }
      $("found").replaceChildren(...tracks.map((track) => {
        const add = el("button", { type: "button", class: "small" }, texts.add);
        add.addEventListener("click", () => busy(add, async () => {
          const result = await vote(track.uri, true, false);
          if (result) { add.textContent = texts.added; add.disabled = true; }
        }));
        return trackItem(track, [add]);
      }));
    } catch (error) {
      if (error.code === "invalid_query") { showError(error, {}, "add-error"); return; }
      roomProblem(error);
    }
  });
});

$("suggest").hidden = !signedIn;
$("suggest").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  try {
    const { track_uri: uri } = await api("POST", `${base}/suggestions`);
    remember(uri, true);
    renderQueue();
  } catch (error) {
    if (error.code === "no_liked_tracks" || error.code === "sign_in_to_suggest") { showError(error, {}, "add-error"); return; }
    roomProblem(error);
  }
}));

$("skip").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  try {
    const { skips, needed } = await api("POST", `${base}/skip-votes`);
    $("skips").textContent = `${skips} ${texts.skips_of} ${needed}`;
  } catch (error) { roomProblem(error); }
}));

$("leave").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  try { await api("POST", `${base}/leave`); } catch (error) { if (!(error instanceof ApiError)) throw error; }
  ended = true;
  socket?.close();
  localStorage.removeItem(votesKey);
  window.location.assign(signedIn ? "/dashboard" : "/");
}));

// ---- The host's part ----

let hostReady = false;

function hostSetup() {
  $("host").hidden = false;
  const info = room.info;
  const share = info.like_threshold_share !== undefined;
  $("rule-fixed").checked = !share;
  $("rule-share-kind").checked = share;
  $("rule-count").value = info.like_threshold ?? 3;
  $("rule-share").value = share ? Math.round(info.like_threshold_share * 100) : 50;
  $("rule-guests").checked = info.guests_allowed;
  $("rule-rate").value = info.guest_votes_per_2min;
  $("rule-max-guests").value = info.max_guests ?? "";
  people();
  if (hostReady) return;
  hostReady = true;

  onSubmit($("rules"), async () => {
    $("rules-saved").hidden = true;
    const fixed = $("rule-fixed").checked;
    const cap = $("rule-max-guests").value.trim();
    await api("PATCH", base, {
      guests_allowed: $("rule-guests").checked,
      guest_votes_per_2min: Number($("rule-rate").value),
      max_guests: cap ? Number(cap) : null,
      ...(fixed ? { like_threshold: Number($("rule-count").value) } : { like_threshold_share: Number($("rule-share").value) / 100 }),
    });
    $("rules-saved").hidden = false;
  }, { invalid_threshold: "rule-threshold", invalid_guest_rate: "rule-rate", invalid_guest_cap: "rule-max-guests" }, "rules-error");

  $("close").addEventListener("click", (event) => {
    if (!window.confirm(texts.close_confirm)) return;
    busy(event.currentTarget, async () => {
      try { await api("POST", `${base}/close`); closed(); } catch (error) { roomProblem(error); }
    });
  });
}

let peopleTimer = null;
/** The host's list of people, read again shortly after arrivals and departures. */
function peopleSoon() {
  clearTimeout(peopleTimer);
  peopleTimer = setTimeout(people, 1000);
}

async function people() {
  try {
    const { participants } = await api("GET", `${base}/participants`);
    $("people").replaceChildren(...participants.map((person) => {
      const remove = person.is_host ? null : el("button", { type: "button", class: "small secondary" }, texts.remove);
      remove?.addEventListener("click", () => busy(remove, async () => {
        try { await api("DELETE", `${base}/participants/${person.id}`); await people(); } catch (error) { roomProblem(error); }
      }));
      return el("li", {},
        el("span", {}, person.display_name, " ",
          person.is_host ? el("span", { class: "badge ok" }, texts.host_badge) : null,
          person.is_guest ? el("span", { class: "badge" }, texts.guest) : null,
          person.email ? el("span", { class: "muted small" }, ` ${person.email}`) : null),
        remove);
    }));
  } catch (error) { roomProblem(error); }
}

load();
