/* The screen pop's "email" panel, for a contact on the email channel: the thread and a reply box.
 *
 * The thread starts with the email that made the contact (its sender, subject and text, kept in the
 * contact's attributes by `baiying email-in`), followed by the customer-visible messages of the ticket
 * the agent answers on: our replies, and the customer's answers that email-in threads back onto the
 * ticket by the `[#id]` in their subject. A reply goes out with POST /api/tickets/{id}/email-replies
 * (recorded on the ticket and queued in the notification outbox, which sends it); with no ticket yet,
 * the first reply makes one of the email (a consultation with its subject and text). Which ticket a
 * contact's thread follows is remembered in the tab (sessionStorage), so a reload keeps it.
 * Everything is shown as text. */
"use strict";
(function () {
  const { t, api, clockTime, el } = window.Baiying;
  const desktop = window.Baiying.desktop;
  const POLL_MS = 3000;
  const NEW = "";
  const KEY = "baiying.email.ticket.";

  function remembered(contactId) {
    try {
      return sessionStorage.getItem(KEY + contactId) || NEW;
    } catch (_) {
      return NEW;
    }
  }

  function remember(contactId, ticketId) {
    try {
      sessionStorage.setItem(KEY + contactId, ticketId);
    } catch (_) {
      /* private mode: the thread is picked again after a reload */
    }
  }

  function message(kind, who, when, subject, text) {
    return el(
      "article",
      { class: "email-message " + kind, "data-kind": kind },
      el("header", { class: "who", text: [who, when].filter(Boolean).join(" · ") }),
      subject ? el("p", { class: "email-subject", text: subject }) : null,
      el("div", { class: "text", text }),
    );
  }

  desktop.panels.register("email", async (slot, contact) => {
    if (contact.channel !== "email") return false;
    const a = contact.attributes || {};
    const sender = a.name ? a.name + " <" + (a.email || "") + ">" : a.email || t("pop.unknown");
    const subject = a.subject || t("email.no-subject");
    const found = desktop.customerOf ? await desktop.customerOf(contact) : null;
    const customer = found ? found.id : contact.customer_id || null;

    const thread = el("div", { class: "email-thread" });
    const first = message("customer", sender, typeof contact.arrived_at === "number" ? clockTime(contact.arrived_at) : "", subject, a.text || "");
    const onTicket = el("select", { class: "email-ticket", id: "email-ticket" });
    onTicket.append(el("option", { value: NEW, text: t("email.ticket.new") }));
    const box = el("textarea", { id: "email-reply-text", rows: "3", maxlength: "10000" });
    box.setAttribute("aria-label", t("email.reply"));
    const send = el("button", { type: "submit", id: "email-reply-send", class: "primary", text: t("email.send") });
    const status = el("p", { class: "email-status muted", "aria-live": "polite" });
    const error = el("p", { class: "error", role: "alert", hidden: "" });
    const form = el(
      "form",
      { class: "email-reply" },
      el("label", {}, document.createTextNode(t("email.ticket")), onTicket),
      box,
      el("div", { class: "buttons" }, send),
    );
    slot.append(el("h3", { text: t("email.title", { sender }) }), thread, form, status, error);

    function addTicket(ticket) {
      if ([...onTicket.options].some((o) => o.value === ticket.id)) return;
      onTicket.append(el("option", { value: ticket.id, text: ticket.id + " · " + ticket.subject }));
    }

    if (customer) {
      try {
        const query = new URLSearchParams({ customer_id: customer, open: "true", limit: "20" });
        for (const ticket of await api("GET", "/api/tickets?" + query)) addTicket(ticket);
      } catch (_) {
        /* the reply can still make a ticket */
      }
    }
    const kept = remembered(contact.id);
    if (kept) {
      try {
        addTicket(await api("GET", "/api/tickets/" + encodeURIComponent(kept)));
        onTicket.value = kept;
      } catch (_) {
        remember(contact.id, NEW);
      }
    }

    // A ticket made for this contact in the tickets panel is the natural thread.
    function onCreated(event) {
      if (!slot.isConnected) {
        document.removeEventListener("baiying:ticket", onCreated);
        return;
      }
      if (event.detail.contact.id !== contact.id) return;
      addTicket(event.detail.ticket);
      if (onTicket.value === NEW) {
        onTicket.value = event.detail.ticket.id;
        remember(contact.id, onTicket.value);
        refresh();
      }
    }
    document.addEventListener("baiying:ticket", onCreated);

    let shown = "";
    async function refresh() {
      const ticketId = onTicket.value;
      if (!ticketId) {
        thread.replaceChildren(first);
        shown = "";
        return;
      }
      try {
        const path = "/api/tickets/" + encodeURIComponent(ticketId) + "/comments?customer_visible=true";
        const said = await api("GET", path);
        if (onTicket.value !== ticketId) return;
        const key = ticketId + ":" + said.map((c) => c.sequence).join(",");
        if (key === shown) return;
        shown = key;
        thread.replaceChildren(
          first,
          ...said.map((c) =>
            c.kind === "reply"
              ? message("reply", t("email.we"), clockTime(c.at), "", c.data.body || "")
              : message("customer", sender, clockTime(c.at), "", c.data.body || ""),
          ),
        );
        thread.scrollTop = thread.scrollHeight;
      } catch (failure) {
        error.hidden = false;
        error.textContent = t("error.generic", { message: failure.message });
      }
    }

    async function poll() {
      if (!slot.isConnected) return; // another contact's pop replaced this one
      await refresh();
      setTimeout(poll, POLL_MS);
    }

    onTicket.addEventListener("change", () => {
      remember(contact.id, onTicket.value);
      refresh();
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = box.value.trim();
      if (!text) return;
      send.disabled = true;
      error.hidden = true;
      try {
        let ticketId = onTicket.value;
        if (!ticketId) {
          // recorded in this contact: later replies on the ticket, from any channel, go to its sender
          const made = { type: "consultation", subject: subject.slice(0, 200), description: a.text || "", contact_id: contact.id };
          if (!made.description) delete made.description;
          if (customer) made.customer_id = customer;
          if (contact.site) made.site_id = contact.site;
          const ticket = await api("POST", "/api/tickets", made);
          addTicket(ticket);
          ticketId = ticket.id;
          onTicket.value = ticketId;
          remember(contact.id, ticketId);
        }
        const reply = { body: text, subject: ("Re: " + subject.replace(/^\s*re:\s*/i, "")).slice(0, 200) };
        if (a.email) reply.to = a.email;
        const sent = await api("POST", "/api/tickets/" + encodeURIComponent(ticketId) + "/email-replies", reply);
        box.value = "";
        status.textContent = t("email.sent", { to: sent.recipient, ticket: sent.ticket_id });
        await refresh();
      } catch (failure) {
        error.hidden = false;
        error.textContent = t("error.generic", { message: failure.message });
      } finally {
        send.disabled = false;
      }
    });

    thread.append(first);
    poll();
    return true;
  });
})();
