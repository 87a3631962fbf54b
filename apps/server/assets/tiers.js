// Tiers on the pages: an account's limits beside what it uses, and its recorded changes.
import { el, texts } from "./soiree.js";

export const TIERS = ["free", "premium", "enterprise", "vip"];
export const LIMITS = ["open_rooms", "participants_per_room", "playlists", "storage_bytes", "api_requests_per_hour"];

export function tierName(tier) {
  return texts[`tier_${tier}`] || tier;
}

function amount(name, value) {
  if (value === null || value === undefined) return texts.unlimited;
  if (name === "storage_bytes") return `${(value / 1e6).toLocaleString(undefined, { maximumFractionDigits: 1 })} MB`;
  return value.toLocaleString();
}

/** Rows of a limits table: each limit, what is used of it where known, and whether the operator
 * set it for this account. */
export function limitRows(standing) {
  const used = {
    open_rooms: standing.usage.open_rooms,
    playlists: standing.usage.playlists,
    storage_bytes: standing.usage.storage_bytes,
  };
  return LIMITS.map((name) => {
    const value = standing.limits[name];
    const shown = used[name] === undefined
      ? amount(name, value)
      : `${name === "storage_bytes" ? amount(name, used[name]) : used[name]} ${texts.used_of} ${amount(name, value)}`;
    const over = used[name] !== undefined && value !== null && used[name] >= value;
    return el("tr", over ? { class: "at-limit" } : {},
      el("th", { scope: "row" }, texts[`limit_${name}`] || name),
      el("td", {}, shown,
        standing.limits.overridden.includes(name) ? el("span", { class: "badge" }, texts.overridden) : ""));
  });
}

/** The recorded changes, the latest first. */
export function changeItems(changes) {
  return changes.map((change) => el("li", {},
    `${new Date(change.at).toLocaleString()}: ${tierName(change.from)} → ${tierName(change.to)}`,
    change.overrides !== "none" ? ` (${change.overrides})` : "",
    ` ${texts[`tier_by_${change.by}`] || change.by}`,
    change.reason ? ` — ${change.reason}` : ""));
}
