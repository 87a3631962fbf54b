// Log in and go where the visitor was heading.
import { $, api, localPath, onSubmit } from "./soiree.js";

const form = $("login");
onSubmit(form, async () => {
  try {
    await api("POST", "/api/v1/auth/login", { username: $("username").value.trim(), password: $("password").value });
  } catch (error) {
    // The answer never says which of the two was wrong; the password is typed again.
    $("password").value = "";
    $("password").focus();
    throw error;
  }
  window.location.assign(localPath(form.dataset.next));
});
