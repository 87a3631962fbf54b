// Settings: the profile, the provider apps, the tier, and account security (the sessions, the
// password; two-step login, the security log, export and erasure come with their issue).
import { $, api, busy, el, onSubmit, showError, texts } from "./soiree.js";
import { showProviders } from "./providers.js";
import { TIERS, changeItems, limitRows, tierName } from "./tiers.js";

const FIELDS = {
  invalid_display_name: "display_name",
  invalid_language: "language",
  invalid_timezone: "timezone",
};

onSubmit($("profile"), async () => {
  $("profile-saved").hidden = true;
  const value = (id) => $(id).value.trim() || null;
  await api("PATCH", "/api/v1/me", {
    display_name: value("display_name"),
    language: value("language"),
    timezone: value("timezone"),
  });
  $("profile-saved").hidden = false;
  // A new language shows on the next page; show it now.
  if (document.documentElement.lang !== ($("language").value || document.documentElement.lang)) window.location.reload();
}, FIELDS, "display_name-error");

showProviders($("providers"));

// The tier: its limits beside what is used, its changes, and a choice where self-service is on.
async function showTier() {
  let standing;
  try { standing = await api("GET", "/api/v1/me/tier"); } catch { return; }
  $("tier-name").textContent = tierName(standing.tier);
  $("tier-limits").replaceChildren(...limitRows(standing));
  if (standing.changes.length) {
    $("tier-changes").hidden = false;
    $("tier-changes-title").textContent = texts.tier_history;
    $("tier-changes-list").replaceChildren(...changeItems(standing.changes));
  }
  if (standing.self_service) {
    $("tier-change").hidden = false;
    $("tier-submit").textContent = texts.tier_change;
    $("tier-select").replaceChildren(...TIERS.map((tier) =>
      el("option", tier === standing.tier ? { value: tier, selected: "" } : { value: tier }, tierName(tier))));
  } else {
    $("tier-ask").hidden = false;
    $("tier-ask").textContent = texts.tier_ask_operator;
  }
}

onSubmit($("tier-change"), async () => {
  await api("POST", "/api/v1/me/tier", { tier: $("tier-select").value });
  await showTier();
}, {}, "tier-error");

showTier();

// A user agent as people say it: "Firefox on Linux". The whole string stays in the tooltip.
function deviceName(agent) {
  if (!agent) return texts.session_unknown;
  const browser = [[/Edg\//, "Edge"], [/OPR\//, "Opera"], [/Firefox\//, "Firefox"],
    [/(Headless)?Chrom(e|ium)\//, "Chrome"], [/Version\/.*Safari\//, "Safari"]]
    .find(([pattern]) => pattern.test(agent))?.[1];
  const system = [[/Android/, "Android"], [/iPhone|iPad|iPod/, "iOS"], [/CrOS/, "ChromeOS"],
    [/Windows/, "Windows"], [/Mac OS X|Macintosh/, "macOS"], [/Linux/, "Linux"]]
    .find(([pattern]) => pattern.test(agent))?.[1];
  if (browser && system) return `${browser} · ${system}`;
  return browser || system || (agent.length > 40 ? `${agent.slice(0, 40)}…` : agent);
}

// Where the account is signed in: each session with its device and last use, and a button to
// sign it out (not the one in use here: logging out does that).
async function showSessions() {
  let listed;
  try { listed = await api("GET", "/api/v1/me/sessions"); } catch (error) { showError(error, {}, "sessions-error"); return; }
  $("sessions").replaceChildren(...listed.sessions.map((session) => {
    const used = new Date(session.last_used_at).toLocaleString(document.documentElement.lang);
    const where = [session.address, `${texts.session_used} ${used}`].filter(Boolean).join(" · ");
    return el("li", { class: "session", "data-session": session.id },
      el("span", { class: "session-device", title: session.device || "" }, deviceName(session.device)),
      el("span", { class: "muted" }, ` ${where} `),
      session.current
        ? el("strong", { class: "session-current" }, texts.session_this)
        : el("button", { type: "button", class: "small secondary", onclick: (event) => endSession(event.currentTarget, session.id) }, texts.session_end));
  }));
  $("sessions-end-others").hidden = listed.sessions.length < 2;
}

async function endSession(button, id) {
  await busy(button, async () => {
    try {
      await api("DELETE", `/api/v1/me/sessions/${encodeURIComponent(id)}`);
    } catch (error) {
      showError(error, {}, "sessions-error");
    }
    await showSessions();
  });
}

$("sessions-end-others").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  $("sessions-error").hidden = true;
  try {
    const { revoked } = await api("DELETE", "/api/v1/me/sessions");
    $("sessions-note").textContent = `${texts.sessions_ended} ${revoked}`;
    $("sessions-note").hidden = false;
  } catch (error) {
    showError(error, {}, "sessions-error");
  }
  await showSessions();
}));

onSubmit($("password"), async () => {
  $("password-saved").hidden = true;
  await api("PUT", "/api/v1/me/password", {
    current_password: $("current_password").value,
    new_password: $("new_password").value,
  });
  $("current_password").value = "";
  $("new_password").value = "";
  $("password-saved").hidden = false;
  await showSessions();
}, { wrong_password: "current_password", weak_password: "new_password" }, "password-error");

showSessions();
