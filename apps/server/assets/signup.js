// Sign up, then log in at once and go where the visitor was heading.
import { $, api, busy, clearErrors, localPath, showError } from "./soiree.js";

const FIELDS = {
  invalid_username: "username",
  username_taken: "username",
  invalid_email: "email",
  email_taken: "email",
  weak_password: "password",
};

const form = $("signup");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearErrors(form);
  const username = $("username").value.trim();
  const password = $("password").value;
  const email = $("email").value.trim();
  busy(form.querySelector("button[type=submit]"), async () => {
    try {
      await api("POST", "/api/v1/auth/register", { username, password, ...(email ? { email } : {}) });
      await api("POST", "/api/v1/auth/login", { username, password });
      window.location.assign(localPath(form.dataset.next));
    } catch (error) {
      showError(error, FIELDS);
    }
  });
});
