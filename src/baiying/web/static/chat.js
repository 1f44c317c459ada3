/* The visitor's web chat: a name (phone and email optional) and a first message start a conversation
 * (POST /api/chat/visitor/{tenant}/conversations); the page then polls for the agent's messages and its
 * status every second and sends the visitor's. The conversation's id and token stay in the tab's session
 * storage, so a reload (or a server restart) resumes it. Every message is shown as text. */
"use strict";
(function () {
  const { t, page } = window.Baiying;
  const $ = (id) => document.getElementById(id);
  if (!page.tenant || !page.queue) return;
  const base = "/api/chat/visitor/" + encodeURIComponent(page.tenant) + "/conversations";
  const storeKey = "baiying.chat." + page.tenant + "." + page.queue;
  const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  let chat = null; // {id, token}
  let after = 0;
  let timer = null;
  let ended = false;

  async function call(method, path, body) {
    const headers = { Accept: "application/json" };
    if (chat) headers["X-Chat-Token"] = chat.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const data = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = (data && data.error) || {};
      throw {
        status: response.status,
        code: error.code || "http-" + response.status,
        message: error.message || response.statusText,
        details: error.details || {},
      };
    }
    return data;
  }

  function explain(error) {
    const details = error.details || {};
    if (error.code === "chat-rate-limited") return t("chat.error.rate", { seconds: details.retry_after_seconds || 1 });
    if (error.code === "invalid-chat-message" && details.reason === "too-long")
      return t("chat.error.too-long", { max: details.max_chars });
    if (error.code === "invalid-chat-message" && details.reason === "empty") return t("chat.error.empty");
    if (error.code === "invalid-chat-message") return t("chat.error.control");
    if (error.code === "invalid-contact-point") return t("chat.error.contact-point", { message: error.message });
    if (error.code === "chat-closed") return t("chat.ended");
    if (error.code === "unknown-queue") return t("chat.unconfigured");
    if (error.code === "invalid-chat-token") return t("chat.error.lost");
    return t("error.generic", { message: error.message || String(error) });
  }

  function showError(error) {
    const box = $("chat-error");
    box.hidden = !error;
    box.textContent = error ? explain(error) : "";
  }

  function line(message) {
    const row = document.createElement("div");
    row.className = "msg " + message.sender;
    row.dataset.id = String(message.id);
    if (message.sender === "system") {
      row.textContent = message.text === "visitor-left" ? t("chat.left.you") : message.text;
      return row;
    }
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = message.sender === "visitor" ? t("chat.you") : message.author;
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = message.text;
    row.append(who, text);
    return row;
  }

  function show(conversation) {
    const log = $("chat-log");
    for (const message of conversation.messages) {
      if (message.id <= after) continue;
      after = message.id;
      log.append(line(message));
    }
    log.scrollTop = log.scrollHeight;
    const status = $("chat-status");
    status.dataset.status = conversation.status;
    status.textContent =
      conversation.status === "connected"
        ? t("chat.connected", { agent: conversation.agent || "" })
        : t("chat." + conversation.status);
    if (conversation.status === "ended") finish();
  }

  function finish() {
    ended = true;
    clearTimeout(timer);
    $("chat-text").disabled = true;
    $("chat-send-button").disabled = true;
    $("chat-leave").hidden = true;
    $("chat-new").hidden = false;
  }

  async function poll() {
    if (!chat || ended) return;
    try {
      const conversation = await call("GET", base + "/" + encodeURIComponent(chat.id) + "?after=" + after);
      // A poll that was in flight when the visitor left answers with the status from before leaving.
      if (ended) return;
      show(conversation);
      showError(null);
    } catch (error) {
      if (ended) return;
      if (error.code === "invalid-chat-token") {
        sessionStorage.removeItem(storeKey);
        showError(error);
        finish();
        return;
      }
      // The server may be restarting: keep trying, quietly at first.
      if (error.status) showError(error);
    }
    timer = setTimeout(poll, page.poll_ms);
  }

  function enter(started) {
    chat = { id: started.id, token: started.token || (chat && chat.token) };
    sessionStorage.setItem(storeKey, JSON.stringify(chat));
    $("chat-start").hidden = true;
    $("chat-room").hidden = false;
    $("chat-room").dataset.conversation = chat.id;
    if (started.messages) show(started);
    clearTimeout(timer);
    timer = setTimeout(poll, page.poll_ms);
    $("chat-text").focus();
  }

  $("chat-start").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { queue: page.queue, name: $("chat-name").value, message: $("chat-first").value, language: lang };
    if ($("chat-phone").value.trim()) body.phone = $("chat-phone").value;
    if ($("chat-email").value.trim()) body.email = $("chat-email").value;
    $("chat-start-button").disabled = true;
    try {
      enter(await call("POST", base, body));
      showError(null);
    } catch (error) {
      showError(error);
    } finally {
      $("chat-start-button").disabled = false;
    }
  });

  async function send() {
    const box = $("chat-text");
    const text = box.value;
    if (!text.trim() || ended) return;
    try {
      const message = await call("POST", base + "/" + encodeURIComponent(chat.id) + "/messages", { text });
      box.value = "";
      showError(null);
      if (message.id > after) {
        after = message.id;
        $("chat-log").append(line(message));
        $("chat-log").scrollTop = $("chat-log").scrollHeight;
      }
    } catch (error) {
      showError(error);
      if (error.code === "chat-closed") finish();
    }
  }

  $("chat-send").addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  $("chat-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
  $("chat-leave").addEventListener("click", async () => {
    try {
      show(await call("POST", base + "/" + encodeURIComponent(chat.id) + "/leave"));
    } catch (error) {
      showError(error);
    }
    finish();
  });
  $("chat-new").addEventListener("click", () => {
    sessionStorage.removeItem(storeKey);
    location.reload();
  });

  const saved = sessionStorage.getItem(storeKey);
  if (saved) {
    try {
      chat = JSON.parse(saved);
      enter({ id: chat.id, token: chat.token });
    } catch (_) {
      sessionStorage.removeItem(storeKey);
    }
  }
})();
