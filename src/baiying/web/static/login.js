/* The login form: POST /api/auth/login sets the session cookie, then on to where the user was going. */
"use strict";
(function () {
  const { t, api, page } = window.Baiying;
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = { login: form.elements.login.value, password: form.elements.password.value };
    try {
      await api("POST", "/api/auth/login", body);
      location.href = page.next || "/";
    } catch (failure) {
      let text;
      if (failure.status === 401) text = t("login.wrong");
      else if (failure.status === 429) text = t("login.throttled", { seconds: failure.retryAfter || "?" });
      else text = t("login.failed", { message: failure.message });
      error.textContent = text;
      error.hidden = false;
    }
  });
})();
