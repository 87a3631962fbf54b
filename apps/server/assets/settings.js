// Settings: the profile, the provider apps, and (with their issue) account security.
import { $, api, onSubmit } from "./soiree.js";
import { showProviders } from "./providers.js";

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
