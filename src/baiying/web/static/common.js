/* Baiying web UI: what every page shares. No build step, no dependency.
 * Baiying.t(key, values)  a message in the page's language (the catalogue travels in the page);
 * Baiying.api(method, path, body)  the HTTP API with the session cookie; rejects with {status, code, message};
 * Baiying.stream(path, handlers)  a WebSocket that reconnects by itself, with back-off. */
"use strict";
(function () {
  const messages = JSON.parse(document.getElementById("messages").textContent);
  const page = JSON.parse(document.getElementById("page-data").textContent);

  function t(key, values) {
    let text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    if (values) {
      text = text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
    }
    return text;
  }

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(path, options);
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (response.status === 401 && path !== "/api/auth/login") {
      location.href = "/login?next=" + encodeURIComponent(location.pathname); // the session ended
    }
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw {
        status: response.status,
        code: error.code || "http-" + response.status,
        message: error.message || response.statusText,
        details: error.details || {},
        retryAfter: response.headers.get("Retry-After"),
      };
    }
    return data;
  }

  /* A stream that reconnects after the server goes away (a restart), waiting 0.5 s, 1 s, 2 s ... 5 s.
   * handlers: {message(data), open(), close(event)}; a 44xx close (refused: logged out, forbidden)
   * sends the browser to the login page instead. */
  function stream(path, handlers) {
    let delay = 500;
    let socket = null;
    let stopped = false;
    function connect() {
      const scheme = location.protocol === "https:" ? "wss:" : "ws:";
      socket = new WebSocket(scheme + "//" + location.host + path);
      socket.onopen = () => {
        delay = 500;
        setConnection("online");
        if (handlers.open) handlers.open();
      };
      socket.onmessage = (event) => handlers.message(JSON.parse(event.data));
      socket.onclose = (event) => {
        if (handlers.close) handlers.close(event);
        if (stopped) return;
        if (event.code === 4401) {
          location.href = "/login?next=" + encodeURIComponent(location.pathname);
          return;
        }
        if (event.code === 4403 || event.code === 4404) {
          setConnection("offline"); // refused for good: retrying would not help
          return;
        }
        setConnection("reconnecting");
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 5000);
      };
    }
    connect();
    return {
      stop() {
        stopped = true;
        if (socket) socket.close();
      },
    };
  }

  function setConnection(state) {
    const badge = document.getElementById("connection");
    if (!badge) return;
    badge.dataset.state = state;
    badge.textContent = t("conn." + state);
  }

  function duration(seconds) {
    const total = Math.max(0, Math.floor(seconds));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const mm = String(m).padStart(2, "0");
    const ss = String(s).padStart(2, "0");
    return h > 0 ? h + ":" + mm + ":" + ss : m + ":" + ss;
  }

  function clockTime(epochSeconds) {
    return new Date(epochSeconds * 1000).toLocaleTimeString(document.documentElement.lang);
  }

  function showError(element, error) {
    if (!element) return;
    if (!error) {
      element.hidden = true;
      element.textContent = "";
      return;
    }
    element.hidden = false;
    element.textContent = t("error.generic", { message: error.message || String(error) });
  }

  /* The server's clock minus ours, from the `at` of the messages it sends. */
  const skew = {
    offset: 0,
    seen(at) {
      if (typeof at === "number") this.offset = at - Date.now() / 1000;
    },
    now() {
      return Date.now() / 1000 + this.offset;
    },
  };

  /* An element with attributes ("text" sets its text, "class" its class, a function under "onclick" and
   * the like listens to that event; null, undefined and false leave an attribute out) and children (nodes,
   * or text); text is never parsed as HTML. */
  function el(tag, options, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(options || {})) {
      if (key === "text") node.textContent = value === null || value === undefined ? "" : String(value);
      else if (typeof value === "function" && key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === null || value === undefined || value === false) continue;
      else if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined).map((c) => (c instanceof Node ? c : String(c))));
    return node;
  }

  const logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("click", async () => {
      try {
        await api("POST", "/api/auth/logout");
      } finally {
        location.href = "/login";
      }
    });
  }

  /* A logged-in user's language choice is saved on their account (any browser they log in from speaks
   * it); the link then sets this browser's cookie and comes back. */
  if (logout) {
    for (const link of document.querySelectorAll(".lang a[data-lang]")) {
      link.addEventListener("click", async (event) => {
        event.preventDefault();
        try {
          await api("PATCH", "/api/me", { language: link.dataset.lang });
        } finally {
          location.href = link.href;
        }
      });
    }
  }

  window.Baiying = { t, api, stream, page, duration, clockTime, showError, setConnection, skew, el };
})();
