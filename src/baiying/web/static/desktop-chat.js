/* The agent's side of a web chat: the screen pop's "chat" panel for a contact on the chat channel. It
 * polls GET /api/chat/contacts/{id}/messages every second while the contact is in hand (answering and
 * wrap-up) and sends with POST; once the contact is completed the chat is closed and the box says so.
 * Every message is shown as text. */
"use strict";
(function () {
  const { t, api, clockTime, el } = window.Baiying;
  const POLL_MS = 1000;
  const BACKGROUND_MS = 2000;
  const desktop = window.Baiying.desktop;
  const seen = new Map(); // contact id -> the last message id the agent has seen

  /* Chats in hand but not on screen: one never opened, or whose visitor wrote since, marks its tab. */
  async function watchOthers() {
    const shown = document.getElementById("screen-pop").dataset.contact;
    for (const entry of desktop.view.contacts.values()) {
      const id = entry.contact.id;
      if (entry.contact.channel !== "chat" || entry.phase !== "active" || id === shown) continue;
      if (desktop.unread.has(id)) continue;
      if (!seen.has(id)) {
        desktop.unread.add(id); // accepted while another was on screen: not read yet
        desktop.renderTabs();
        continue;
      }
      try {
        const path = "/api/chat/contacts/" + encodeURIComponent(id) + "/messages?after=" + seen.get(id);
        const found = await api("GET", path);
        if (found.messages.some((m) => m.sender === "visitor")) {
          desktop.unread.add(id);
          desktop.renderTabs();
        }
      } catch (_) {
        /* the next round tries again */
      }
    }
    setTimeout(watchOthers, BACKGROUND_MS);
  }
  setTimeout(watchOthers, BACKGROUND_MS);


  function line(message) {
    const row = el("div", { class: "msg " + message.sender });
    row.dataset.id = String(message.id);
    if (message.sender === "system") {
      row.textContent = message.text === "visitor-left" ? t("chat.left") : message.text;
      return row;
    }
    const who = message.sender === "agent" ? t("chat.you") : message.author;
    row.append(
      el("span", { class: "who", text: who + " · " + clockTime(message.at) }),
      el("span", { class: "text", text: message.text }),
    );
    return row;
  }

  /* While a chat rings, the offer card quotes what the visitor wrote last. */
  const quote = document.getElementById("offer-chat");
  let quoted = null;
  document.addEventListener("baiying:offer", async (event) => {
    const contact = event.detail;
    if (!quote || (contact && quoted === contact.id)) return;
    quoted = contact ? contact.id : null;
    quote.hidden = true;
    quote.replaceChildren();
    if (!contact || contact.channel !== "chat") return;
    /* The quote is a courtesy (the offer works without it), but a busy server's one failed read should not
     * cost it: asked again a few times while the same offer rings. */
    for (let attempt = 0; attempt < 4 && quoted === contact.id; attempt++) {
      if (attempt) await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        const found = await api("GET", "/api/chat/contacts/" + encodeURIComponent(contact.id) + "/messages");
        const said = found.messages.filter((m) => m.sender === "visitor");
        if (quoted !== contact.id || !said.length) return;
        const last = said[said.length - 1];
        quote.append(
          el("span", { class: "who", text: t("chat.says", { visitor: last.author }) }),
          el("span", { class: "text", text: last.text }),
        );
        quote.hidden = false;
        return;
      } catch (_) {
        /* asked again below */
      }
    }
  });

  desktop.panels.register("chat", (slot, contact) => {
    if (contact.channel !== "chat") return false;
    const path = "/api/chat/contacts/" + encodeURIComponent(contact.id) + "/messages";
    const status = el("p", { class: "chat-status" });
    const log = el("div", { class: "chat-log" });
    const form = el("form", { class: "chat-send" });
    const box = el("textarea");
    box.id = "agent-chat-text";
    box.rows = 2;
    box.maxLength = 2000;
    box.setAttribute("aria-label", t("chat.reply"));
    const button = el("button", { class: "primary", text: t("chat.send") });
    button.type = "submit";
    button.id = "agent-chat-send";
    const error = el("p", { class: "error" });
    error.hidden = true;
    form.append(box, button);
    const title = t("chat.panel", { visitor: (contact.attributes || {}).visitor_name || "" });
    slot.append(el("h3", { text: title }), status, log, form, error);
    let after = 0;
    let closed = false;

    function add(messages) {
      for (const message of messages) {
        if (message.id <= after) continue;
        after = message.id;
        log.append(line(message));
      }
      seen.set(contact.id, after);
      log.scrollTop = log.scrollHeight;
    }

    async function poll() {
      if (!log.isConnected || closed) return; // another contact's pop replaced this one
      try {
        const conversation = await api("GET", path + "?after=" + after);
        add(conversation.messages);
        status.dataset.status = conversation.status;
        status.textContent = t("chat.agent." + conversation.status);
        if (conversation.status === "ended") {
          closed = true;
          box.disabled = true;
          button.disabled = true;
          return;
        }
        error.hidden = true;
      } catch (failure) {
        if (failure.status) {
          error.hidden = false;
          error.textContent = t("error.generic", { message: failure.message });
        }
      }
      setTimeout(poll, POLL_MS);
    }

    async function send() {
      if (!box.value.trim() || closed) return;
      try {
        const message = await api("POST", path, { text: box.value });
        box.value = "";
        error.hidden = true;
        add([message]);
      } catch (failure) {
        error.hidden = false;
        error.textContent = t("error.generic", { message: failure.message });
      }
    }

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send();
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        send();
      }
    });
    poll();
    return true;
  });
})();
