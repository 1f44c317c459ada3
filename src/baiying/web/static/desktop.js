/* The agent desktop: the agent's state, the contact offered (with a countdown to its deadline), the screen
 * pop of the contact in hand, completing (wrap-up code, notes) and transferring it. Everything shown comes
 * from the agent's stream (GET /api/agents/{id}/stream); commands go through the HTTP API and their
 * effects come back on the stream. After a server restart the stream reconnects and its `hello` message
 * restores the view (the server keeps the agent's state and contacts).
 *
 * Panels from the service applications (customer 360, repeat-contact banner, last interactions,
 * reminders, offers, chat, open tickets) plug into the screen pop with
 * Baiying.desktop.panels.register(name, render): `render(slot, contact)` fills the element
 * `[data-panel=name]` and returns (or resolves to) true to show it. A "baiying:offer" event on the
 * document carries the contact offered (null when none). */
"use strict";
(function () {
  const { t, api, stream, page, duration, clockTime, showError, skew } = window.Baiying;
  const agent = page.agent;
  const base = "/api/agents/" + encodeURIComponent(agent);
  const $ = (id) => document.getElementById(id);

  const view = { state: "offline", reason: null, since: null, contacts: new Map() };
  const panels = new Map();
  let popShownFor = null;

  window.Baiying.desktop = {
    view,
    unread: new Set(), // contacts in hand with something new the agent has not seen (desktop-chat.js)
    renderTabs: () => renderTabs(),
    panels: {
      register(name, render) {
        panels.set(name, render);
        if (popShownFor) renderPanels(view.contacts.get(popShownFor));
      },
    },
  };

  function text(id, value) {
    $(id).textContent = value === null || value === undefined || value === "" ? t("pop.unknown") : String(value);
  }

  function callerOf(contact) {
    const a = contact.attributes || {};
    const who = a.caller_number || a.caller || a.ani || a.phone || a.email || a.visitor_name;
    return who || contact.customer_id || null;
  }

  function offered() {
    for (const entry of view.contacts.values()) if (entry.phase === "reserved") return entry;
    return null;
  }

  /* The contacts in hand (an agent may hold several chats at once), and the one the pop shows: the one
   * the agent picked in the tabs while it is held, else the first active, else the first in wrap-up. */
  let picked = null;
  function held() {
    const all = [...view.contacts.values()];
    return all.filter((e) => e.phase === "active").concat(all.filter((e) => e.phase === "wrap-up"));
  }

  function inHand() {
    const all = held();
    return all.find((e) => e.contact.id === picked) || all[0] || null;
  }

  function renderTabs() {
    const tabs = $("pop-tabs");
    const all = held();
    tabs.hidden = all.length < 2;
    tabs.replaceChildren();
    if (all.length < 2) return;
    const shown = inHand();
    for (const entry of all) {
      const tab = document.createElement("button");
      tab.type = "button";
      tab.className = "tab";
      tab.dataset.contact = entry.contact.id;
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-selected", String(entry === shown));
      if (entry === shown) window.Baiying.desktop.unread.delete(entry.contact.id);
      tab.dataset.unread = String(window.Baiying.desktop.unread.has(entry.contact.id));
      const channel = t("channel." + entry.contact.channel);
      tab.textContent = (callerOf(entry.contact) || entry.contact.id) + " · " + channel;
      tab.addEventListener("click", () => {
        picked = entry.contact.id;
        render();
      });
      tabs.append(tab);
    }
  }

  function renderState() {
    const badge = $("agent-state");
    badge.dataset.state = view.state;
    badge.textContent = t("state." + view.state);
    $("agent-reason").textContent = view.state === "aux" && view.reason ? reasonLabel(view.reason) : "";
    const offline = view.state === "offline";
    $("btn-login").hidden = !offline;
    $("btn-ready").hidden = offline;
    $("btn-aux").parentElement.hidden = offline;
    $("btn-logout").hidden = offline;
    $("btn-ready").disabled = view.state === "ready";
    tick();
  }

  function reasonLabel(reason) {
    const key = "aux." + reason;
    const label = t(key);
    return label === key ? reason : label;
  }

  function renderOffer() {
    const entry = offered();
    $("offer").hidden = !entry;
    $("offer-none").hidden = !!entry;
    // The customer 360 (customer360.js) says who is calling while the offer rings.
    document.dispatchEvent(new CustomEvent("baiying:offer", { detail: entry ? entry.contact : null }));
    if (!entry) return;
    const c = entry.contact;
    text("offer-caller", callerOf(c));
    text("offer-queue", c.queue);
    text("offer-intent", c.intent);
    $("offer").dataset.contact = c.id;
    tick();
  }

  function renderPop() {
    const entry = inHand();
    $("pop").hidden = !entry;
    $("pop-none").hidden = !!entry;
    $("pop-phase").textContent = entry ? t("pop.phase." + entry.phase) : "";
    if (!entry) {
      popShownFor = null;
      return;
    }
    const c = entry.contact;
    $("screen-pop").dataset.contact = c.id;
    text("pop-caller", callerOf(c));
    text("pop-customer", c.customer_id);
    text("pop-queue", c.queue);
    const channel = t("channel." + c.channel);
    text("pop-channel", channel.startsWith("channel.") ? c.channel : channel);
    text("pop-language", c.language);
    text("pop-intent", c.intent);
    text("pop-tier", c.tier);
    text("pop-region", c.region);
    text("pop-site", c.site);
    text("pop-arrived", typeof c.arrived_at === "number" ? clockTime(c.arrived_at) : null);
    const attributes = $("pop-attributes");
    attributes.replaceChildren();
    const pairs = Object.entries(c.attributes || {});
    for (const [key, value] of pairs) {
      const dt = document.createElement("dt");
      dt.textContent = key;
      const dd = document.createElement("dd");
      dd.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
      attributes.append(dt, dd);
    }
    $("pop-attributes-box").hidden = pairs.length === 0;
    $("work-actions").hidden = entry.phase !== "active";
    $("wrap-up-actions").hidden = entry.phase !== "wrap-up";
    if (popShownFor !== c.id) {
      popShownFor = c.id;
      $("complete-form").reset();
      $("transfer-form").reset();
      renderPanels(entry);
    }
  }

  function renderPanels(entry) {
    for (const slot of document.querySelectorAll("#pop [data-panel]")) {
      const render = panels.get(slot.dataset.panel);
      slot.hidden = true;
      slot.replaceChildren();
      if (!render || !entry) continue;
      Promise.resolve(render(slot, entry.contact)).then((shown) => {
        if (popShownFor === entry.contact.id) slot.hidden = !shown;
      });
    }
  }

  function render() {
    renderState();
    renderOffer();
    renderTabs();
    renderPop();
  }

  function tick() {
    const now = skew.now();
    $("agent-since").textContent =
      typeof view.since === "number" ? t("desktop.since", { duration: duration(now - view.since) }) : "";
    const entry = offered();
    const countdown = $("offer-countdown");
    if (!entry || typeof entry.expiresAt !== "number") {
      countdown.textContent = "";
      return;
    }
    const left = Math.ceil(entry.expiresAt - now);
    countdown.dataset.seconds = String(Math.max(0, left));
    countdown.textContent =
      left > 0 ? t("desktop.offer.deadline", { seconds: left }) : t("desktop.offer.expired");
    countdown.classList.toggle("urgent", left <= 5);
  }

  function notice(message) {
    const element = $("offer-notice");
    element.textContent = message;
    element.hidden = !message;
  }

  function onMessage(message) {
    skew.seen(message.at);
    switch (message.type) {
      case "hello":
        view.state = message.state;
        view.reason = message.reason;
        view.since = message.since;
        {
          const previous = view.contacts;
          view.contacts = new Map();
          for (const item of message.contacts) {
            const known = previous.get(item.contact.id);
            view.contacts.set(item.contact.id, {
              contact: item.contact,
              phase: item.phase,
              expiresAt: known ? known.expiresAt : deadlineOf(item, message),
            });
          }
        }
        break;
      case "offer":
        view.contacts.set(message.contact.id, {
          contact: message.contact,
          phase: "reserved",
          expiresAt: message.expires_at,
        });
        notice("");
        break;
      case "offer-withdrawn":
        view.contacts.delete(message.contact_id);
        notice(
          t("desktop.offer.withdrawn", {
            contact: message.contact_id,
            reason: t("withdrawn." + message.reason),
          }),
        );
        break;
      case "answered":
        setPhase(message.contact_id, "active");
        break;
      case "completed":
        setPhase(message.contact_id, "wrap-up");
        break;
      case "wrap-up-ended":
        view.contacts.delete(message.contact_id);
        break;
      case "state":
        view.state = message.state;
        view.reason = message.reason;
        view.since = message.at;
        break;
      case "error":
        showError($("desktop-error"), message.error);
        return;
      default:
        return;
    }
    render();
  }

  /* `hello` does not say when a ringing offer expires. An agent rings with one offer at a time and is
   * "reserved" since it began, so the deadline is that time plus the queue's offer timeout. */
  const offerTimeouts = new Map(page.queues.map((q) => [q.id, q.offer_timeout_seconds]));
  function deadlineOf(item, hello) {
    const timeout = offerTimeouts.get(item.contact.queue);
    if (item.phase !== "reserved" || hello.state !== "reserved" || typeof hello.since !== "number") return null;
    return typeof timeout === "number" ? hello.since + timeout : null;
  }

  function setPhase(contactId, phase) {
    const entry = view.contacts.get(contactId);
    if (entry) entry.phase = phase;
  }

  async function command(method, path, body, after) {
    const error = $("desktop-error");
    showError(error, null);
    try {
      const result = await api(method, path, body);
      if (after) after(result);
    } catch (failure) {
      showError(error, failure);
    }
  }

  $("btn-login").addEventListener("click", () => command("POST", base + "/login", { ready: true }));
  $("btn-ready").addEventListener("click", () => command("PUT", base + "/state", { state: "ready" }));
  $("btn-aux").addEventListener("click", () =>
    command("PUT", base + "/state", { state: "aux", reason: $("aux-reason").value }),
  );
  $("btn-logout").addEventListener("click", () => command("POST", base + "/logout"));
  const contactPath = (id, action) => "/api/contacts/" + encodeURIComponent(id) + "/" + action;
  $("btn-accept").addEventListener("click", () => {
    const entry = offered();
    if (entry) command("POST", contactPath(entry.contact.id, "accept"));
  });
  $("btn-reject").addEventListener("click", () => {
    const entry = offered();
    if (entry) command("POST", contactPath(entry.contact.id, "reject"));
  });
  $("complete-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const entry = inHand();
    if (!entry) return;
    const body = {};
    const code = $("wrap-up-code").value;
    const notes = $("notes").value.trim();
    if (code) body.wrap_up_code = code;
    if (notes) body.notes = notes;
    command("POST", contactPath(entry.contact.id, "complete"), body);
  });
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const entry = inHand();
    if (!entry) return;
    const id = entry.contact.id;
    // A colleague picked by name takes precedence over the queue (the router offers it to them, or to
    // the contact's queue if they stay busy). The stream tells the agent's new state but not what became
    // of the contact (gone, or kept in wrap-up): the session says which contacts the agent still holds.
    const colleague = $("transfer-agent").value;
    const target = colleague ? { agent: colleague } : { queue: $("transfer-queue").value };
    command("POST", contactPath(id, "transfer"), target, resync);
  });
  async function resync() {
    try {
      const session = await api("GET", base + "/session");
      const held = session ? session.contacts : {};
      for (const [id, entry] of [...view.contacts]) {
        if (!(id in held)) view.contacts.delete(id);
        else entry.phase = held[id];
      }
      render();
    } catch (failure) {
      showError($("desktop-error"), failure);
    }
  }

  $("btn-end-wrap-up").addEventListener("click", () => command("POST", base + "/wrap-up/end"));

  render();
  setInterval(tick, 250);
  stream(base + "/stream", { message: onMessage });
})();
