// What every page shares: its words, the JSON API with the session cookie, building elements,
// and turning problem documents into sentences a person can act on.

/** The page's words (from the server, in the visitor's language). */
export const texts = JSON.parse(document.getElementById("texts")?.textContent || "{}");

/** A refused or failed API call: `status` (0 when the server was unreachable), `code`, `problem`. */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || texts.error_generic);
    this.status = status;
    this.code = (problem && problem.code) || (status === 0 ? "network" : "internal_error");
    this.problem = problem || {};
  }
}

/** Calls the API with the session cookie; resolves to the JSON body (or null). */
export async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, null);
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** A sentence for an error, in the page's language when the code is known. */
export function explain(error) {
  if (!(error instanceof ApiError)) return texts.error_generic;
  if (error.status === 0) return texts.error_network;
  const known = texts[error.code];
  if (known) {
    const wait = error.problem.retry_after_seconds;
    return wait ? `${known} (${wait} s)` : known;
  }
  return error.problem.detail || texts.error_generic;
}

/** Sends a visitor whose session ended to the login page, to come back here. */
export function toLogin() {
  const here = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}

/** `document.getElementById`. */
export const $ = (id) => document.getElementById(id);

/** Builds an element: attributes (`on…` ones become listeners) and children. */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

/** Shows `message` in the page's banner (`kind`: "ok" or "error"); an empty message hides it. */
export function banner(message, kind = "error") {
  const node = $("banner");
  if (!node) return;
  node.textContent = message || "";
  node.className = `banner ${kind}`;
  node.hidden = !message;
}

/** Shows (or with no message, hides) the error under a field, and marks the field. */
export function fieldError(name, message) {
  const node = $(`${name}-error`);
  if (node) { node.textContent = message || ""; node.hidden = !message; }
  const input = $(name);
  if (input) {
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

/** Clears every error shown in a form. */
export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, .form-error")) { node.hidden = true; node.textContent = ""; }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/**
 * Shows an API error where it belongs: under the field its code is about (`fields` maps codes to
 * field ids), else in `fallback` (an element id) or the banner. Focuses the field.
 */
export function showError(error, fields = {}, fallback = "form-error") {
  if (error instanceof ApiError && error.status === 401 && error.code === "unauthenticated") {
    toLogin();
    return;
  }
  const message = explain(error);
  const field = fields[error.code];
  if (field) {
    fieldError(field, message);
    $(field)?.focus();
    return;
  }
  const node = $(fallback);
  if (node) { node.textContent = message; node.hidden = false; } else banner(message, "error");
}

/** Runs `work` with `button` disabled, so a double tap does not send twice. */
export async function busy(button, work) {
  if (button) button.disabled = true;
  try { return await work(); } finally { if (button) button.disabled = false; }
}

/**
 * Handles a form's submission: no reload, old errors cleared, the submit button held while
 * `work` runs, and a refusal shown where it belongs (`fields` and `fallback` as for showError).
 */
export function onSubmit(form, work, fields = {}, fallback = "form-error") {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(form.querySelector("button[type=submit]"), async () => {
      try { await work(); } catch (error) { showError(error, fields, fallback); }
    });
  });
}

/** Only a path on this server is followed after signing in. */
export function localPath(path) {
  return typeof path === "string" && path.startsWith("/") && !path.startsWith("//") && !path.includes("\\")
    ? path : "/dashboard";
}

/** `m:ss` for a duration in milliseconds. */
export function clock(ms) {
  const seconds = Math.max(0, Math.floor((ms || 0) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** A track as a list item: art, title, artists, then `actions` (elements) on the right. */
export function trackItem(track, actions = [], attributes = {}) {
  const title = track.title || track.name || track.uri;
  const art = track.artwork_url
    ? el("img", { src: track.artwork_url, alt: "", loading: "lazy" })
    : el("span", { class: "noart", "aria-hidden": "true" });
  const by = [track.artists && track.artists.join(", "), track.album].filter(Boolean).join(" · ");
  return el("li", { class: "track", ...attributes },
    art,
    el("div", { class: "info" }, el("div", { class: "name" }, title), el("div", { class: "by" }, by)),
    el("div", { class: "votes" }, actions));
}

// Every page: the header's log-out button and the copy buttons.
$("logout")?.addEventListener("click", async () => {
  try { await api("POST", "/api/v1/auth/logout"); } catch { /* the session is gone either way */ }
  window.location.assign("/");
});

for (const button of document.querySelectorAll("[data-copy]")) {
  button.addEventListener("click", async () => {
    const text = $(button.dataset.copy)?.textContent || "";
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Without clipboard access (plain HTTP on a LAN address), select it for a manual copy.
      const range = document.createRange();
      range.selectNodeContents($(button.dataset.copy));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      return;
    }
    const before = button.textContent;
    button.textContent = texts.copied;
    setTimeout(() => { button.textContent = before; }, 1500);
  });
}
