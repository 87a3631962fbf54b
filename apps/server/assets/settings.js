// Settings: the profile, the provider apps, the tier, and account security: the sessions, the
// password, two-step login, the security log, the data download and erasure.
import { $, ApiError, api, busy, el, onSubmit, showError, texts } from "./soiree.js";
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

// A sensitive change refused for an old login: the password (and code) once more, then retry.
let pendingStepUp = null;

async function withStepUp(work, errorTarget) {
  try {
    return await work();
  } catch (error) {
    if (error.code !== "reauthentication_required") throw error;
    pendingStepUp = { work, errorTarget };
    $("reauth").hidden = false;
    $("reauth-password").focus();
    return undefined;
  }
}

onSubmit($("reauth"), async () => {
  const code = $("reauth-code").value.trim();
  await api("POST", "/api/v1/auth/reauthenticate", {
    password: $("reauth-password").value,
    ...(code ? { code } : {}),
  });
  $("reauth-password").value = "";
  $("reauth-code").value = "";
  $("reauth").hidden = true;
  const pending = pendingStepUp;
  pendingStepUp = null;
  if (pending) {
    try { await pending.work(); } catch (error) { showError(error, {}, pending.errorTarget); }
  }
}, { wrong_password: "reauth-password", mfa_code_required: "reauth-code" }, "reauth-error");

// Two-step login: its state, enrolment with a QR code, recovery codes, turning it off.
async function showMfa() {
  let status;
  try { status = await api("GET", "/api/v1/auth/mfa"); } catch (error) { showError(error, {}, "mfa-error"); return; }
  const since = status.enabled_at ? new Date(status.enabled_at).toLocaleDateString(document.documentElement.lang) : "";
  $("mfa-status").textContent = status.enabled
    ? `${texts.mfa_on} ${since} · ${status.recovery_codes_left} ${texts.mfa_codes_left}`
    : texts.mfa_off;
  $("mfa-on").hidden = status.enabled;
  $("mfa-manage").hidden = !status.enabled;
}

function showCodes(codes) {
  $("mfa-codes-list").replaceChildren(...codes.map((code) => el("li", {}, el("code", {}, code))));
  $("mfa-codes").hidden = false;
}

$("mfa-on").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  $("mfa-error").hidden = true;
  try {
    await withStepUp(async () => {
      const enrolment = await api("POST", "/api/v1/auth/mfa/totp");
      // The server draws the QR code; it is an SVG document of its own making.
      $("mfa-qr").innerHTML = enrolment.qr_svg;
      $("mfa-key").textContent = enrolment.secret;
      $("mfa-enrol").hidden = false;
      $("mfa-on").hidden = true;
      $("mfa-code").focus();
    }, "mfa-error");
  } catch (error) {
    showError(error, {}, "mfa-error");
  }
}));

onSubmit($("mfa-enrol"), async () => {
  const { recovery_codes: codes } = await api("POST", "/api/v1/auth/mfa/totp/confirm", { code: $("mfa-code").value.trim() });
  $("mfa-code").value = "";
  $("mfa-enrol").hidden = true;
  showCodes(codes);
  await Promise.all([showMfa(), showSessions(), showEvents()]);
}, { invalid_code: "mfa-code" }, "mfa-enrol-error");

$("mfa-regenerate").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  try {
    await withStepUp(async () => {
      const { recovery_codes: codes } = await api("POST", "/api/v1/auth/mfa/recovery-codes");
      showCodes(codes);
      await showMfa();
    }, "mfa-off-error");
  } catch (error) {
    showError(error, {}, "mfa-off-error");
  }
}));

onSubmit($("mfa-off"), async () => {
  const proof = $("mfa-off-proof").value;
  await withStepUp(async () => {
    await api("DELETE", "/api/v1/auth/mfa/totp", { password_or_code: proof });
    $("mfa-off-proof").value = "";
    $("mfa-codes").hidden = true;
    await Promise.all([showMfa(), showSessions(), showEvents()]);
  }, "mfa-off-error");
}, { invalid_code: "mfa-off-proof" }, "mfa-off-error");

// The security log, with the flagged logins called out until acknowledged.
async function showEvents() {
  let listed;
  try { listed = await api("GET", "/api/v1/me/security-events?limit=50"); } catch { return; }
  $("events").replaceChildren(...listed.events.map((event) => {
    const when = new Date(event.at).toLocaleString(document.documentElement.lang);
    const where = [deviceName(event.device), event.address, event.detail].filter(Boolean).join(" · ");
    return el("li", { class: event.needs_attention ? "event attention" : "event", "data-kind": event.kind },
      el("strong", {}, texts[`event_${event.kind}`] || event.kind),
      event.new_device ? el("span", { class: "badge" }, ` ${texts.event_new_device} `) : "",
      el("span", { class: "muted" }, ` ${when} · ${where}`));
  }));
  $("events-attention").hidden = listed.needs_attention === 0;
  $("events-attention-text").textContent = texts.attention_new_device;
}

$("events-acknowledge").addEventListener("click", (event) => busy(event.currentTarget, async () => {
  await api("POST", "/api/v1/me/security-events/acknowledge");
  await showEvents();
}));

// Erasure: the username typed as confirmation, the password (and code) as the step-up.
onSubmit($("erase"), async () => {
  const form = $("erase");
  if ($("erase-username").value.trim() !== form.dataset.username) {
    throw new ApiError(422, { code: "erase_mismatch", detail: texts.erase_mismatch });
  }
  if (!window.confirm(texts.erase_confirm)) return;
  const code = $("erase-code").value.trim();
  await api("POST", "/api/v1/auth/reauthenticate", {
    password: $("erase-password").value,
    ...(code ? { code } : {}),
  });
  await api("DELETE", "/api/v1/me");
  window.location.assign("/");
}, { erase_mismatch: "erase-username", wrong_password: "erase-password", mfa_code_required: "erase-code" }, "erase-error");

// App passwords for music apps: made here (shown once), revoked one by one.
async function showAppPasswords() {
  let listed;
  try { listed = await api("GET", "/api/v1/me/app-passwords"); } catch { return; }
  $("app-passwords").replaceChildren(...(listed.app_passwords.length
    ? listed.app_passwords.map((app) => el("li", { class: "app-password", "data-app-password": app.id },
      el("strong", {}, app.name),
      el("span", { class: "muted" }, ` ${new Date(app.created_at).toLocaleDateString(document.documentElement.lang)} `),
      el("button", {
        type: "button", class: "small secondary",
        onclick: (event) => busy(event.currentTarget, async () => {
          try {
            await api("DELETE", `/api/v1/me/app-passwords/${app.id}`);
          } catch (error) {
            showError(error, {}, "app-password-error");
          }
          $("app-password-new").hidden = true;
          await Promise.all([showAppPasswords(), showEvents()]);
        }),
      }, texts.app_password_revoke)))
    : [el("li", { class: "muted" }, texts.app_password_none)]));
}

onSubmit($("app-password"), async () => {
  const name = $("app-password-name").value.trim();
  await withStepUp(async () => {
    const made = await api("POST", "/api/v1/me/app-passwords", { name });
    $("app-password-name").value = "";
    $("app-password-new").replaceChildren(`${texts.app_password_shown_once} `, el("code", { id: "app-password-secret" }, made.password));
    $("app-password-new").hidden = false;
    await Promise.all([showAppPasswords(), showEvents()]);
  }, "app-password-error");
}, { invalid_app_password_name: "app-password-name" }, "app-password-error");

showMfa();
showAppPasswords();
showEvents();

// Liked tracks and recommendations: the drive folder, how often the likes sync, full reads, and
// the recommendations switch.
const EVERY_HOURS = [60, 120, 360, 720, 1440];

async function showTaste() {
  let settings;
  try { settings = await api("GET", "/api/v1/me/settings"); } catch { return; }
  $("drive-path").textContent = settings.drive.path;
  const least = settings.sync.least_minutes;
  const choices = [["server", texts.sync_every_server.replace("{minutes}", least)]]
    .concat(EVERY_HOURS.filter((minutes) => minutes > least).map((minutes) => [String(minutes),
      minutes === 1440 ? texts.sync_every_day : texts.sync_every_hours.replace("{hours}", minutes / 60)]));
  const chosen = settings.sync.server_interval ? "server" : String(settings.sync.every_minutes);
  if (!choices.some(([value]) => value === chosen)) {
    choices.push([chosen, texts.sync_every_hours.replace("{hours}", (settings.sync.every_minutes / 60).toFixed(1))]);
  }
  $("sync-every").replaceChildren(...choices.map(([value, label]) =>
    el("option", value === chosen ? { value, selected: "" } : { value }, label)));
  $("full-read").value = settings.sync.full_read === "default" ? "default"
    : settings.sync.full_read === "when_asked" ? "0" : String(settings.sync.full_read_every_days);
  $("recommendations").checked = settings.recommendations;
}

onSubmit($("taste-form"), async () => {
  $("taste-saved").hidden = true;
  const every = $("sync-every").value;
  const full = $("full-read").value;
  await api("PATCH", "/api/v1/me/settings", {
    sync_every_minutes: every === "server" ? null : Number(every),
    full_read_every_days: full === "default" ? null : Number(full),
    recommendations: $("recommendations").checked,
  });
  $("taste-saved").hidden = false;
  await showTaste();
}, { invalid_sync_interval: "sync-every", invalid_full_read: "full-read" }, "taste-error");

showTaste();
