// Settings: the profile, the provider apps, the tier, and (with their issue) account security.
import { $, api, el, onSubmit, texts } from "./soiree.js";
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
