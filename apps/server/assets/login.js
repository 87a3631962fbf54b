// Log in and go where the visitor was heading.
import { $, api, busy, clearErrors, localPath, showError } from "./soiree.js";

const form = $("login");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors(form);
  busy(form.querySelector("button[type=submit]"), async () => {
    try {
      await api("POST", "/api/v1/auth/login", { username: $("username").value.trim(), password: $("password").value });
      window.location.assign(localPath(form.dataset.next));
    } catch (error) {
      // Never say which of the two was wrong.
      showError(error, {});
      $("password").value = "";
      $("password").focus();
    }
  });
});
