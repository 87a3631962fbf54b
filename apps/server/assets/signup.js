// Sign up, then log in at once and go where the visitor was heading.
import { $, api, localPath, onSubmit } from "./soiree.js";

const FIELDS = {
  invalid_username: "username",
  username_taken: "username",
  invalid_email: "email",
  email_taken: "email",
  weak_password: "password",
};

const form = $("signup");
onSubmit(form, async () => {
  const username = $("username").value.trim();
  const password = $("password").value;
  const email = $("email").value.trim();
  await api("POST", "/api/v1/auth/register", { username, password, ...(email ? { email } : {}) });
  await api("POST", "/api/v1/auth/login", { username, password });
  window.location.assign(localPath(form.dataset.next));
}, FIELDS);
