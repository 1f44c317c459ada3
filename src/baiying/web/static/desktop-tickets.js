/* The screen pop's "tickets" panel: the customer's open tickets, one opened in place with the transitions
 * the agent's ticket roles may take from its state (GET /api/tickets/{id}/transitions, each asking for
 * the fields it still needs), its notes and replies, and a box to add an internal note or a reply the
 * customer sees (on an email contact, the reply is emailed: POST /api/tickets/{id}/email-replies records it
 * and queues it in the outbox, as the email panel does, to the contact's sender; on another contact, the
 * server emails a reply when the ticket has a customer email address, and the panel says where); below, a
 * form for a new ticket (type, complaint level, priority, summary, description) from GET /api/tickets/types,
 * recorded in the contact. The server checks everything again; its refusals are shown as they come.
 *
 * Tickets created here are announced with a "baiying:ticket" event on the document
 * (detail {contact, ticket}), so the email panel can thread its replies on them. */
"use strict";
(function () {
  const { t, api, clockTime, el } = window.Baiying;
  const desktop = window.Baiying.desktop;
  let typesPromise = null;
  const made = new Map(); // contact id -> ids of tickets created for it here (a contact with no customer)

  function types() {
    if (!typesPromise) {
      typesPromise = api("GET", "/api/tickets/types").catch((failure) => {
        typesPromise = null; // try again with the next contact
        throw failure;
      });
    }
    return typesPromise;
  }

  function labelOr(key, fallback) {
    const label = t(key);
    return label === key ? fallback : label;
  }

  const stateLabel = (state) => labelOr("ticket.state." + state, state);
  const doLabel = (name) => labelOr("ticket.do." + name, name);

  function failureText(failure) {
    return t("error.generic", { message: failure.message || String(failure) });
  }

  function ticketPath(id, rest) {
    return "/api/tickets/" + encodeURIComponent(id) + (rest || "");
  }

  /* ---- an input for a workflow field ------------------------------------------------------------ */
  function fieldInput(field) {
    let input;
    if (field.type === "choice") {
      input = el("select", {});
      for (const option of field.options) {
        input.append(el("option", { value: option, text: labelOr("ticket.option." + option, option) }));
      }
    } else if (field.type === "boolean") {
      input = el("input", { type: "checkbox" });
    } else if (field.type === "integer") {
      input = el("input", { type: "number", step: "1" });
      if (field.min !== null) input.min = String(field.min);
      if (field.max !== null) input.max = String(field.max);
      input.required = true;
    } else if (field.type === "datetime") {
      input = el("input", { type: "datetime-local" });
      input.required = true;
    } else {
      input = el("textarea", { rows: "2", maxlength: "4000" });
      input.required = true;
    }
    input.dataset.field = field.name;
    input.dataset.type = field.type;
    const label = el("label", { class: field.type === "boolean" ? "check" : "" });
    label.append(document.createTextNode(labelOr("ticket.field." + field.name, field.label || field.name)), input);
    return label;
  }

  function fieldValue(input) {
    const kind = input.dataset.type;
    if (kind === "boolean") return input.checked;
    if (kind === "integer") return input.value === "" ? null : Number(input.value);
    if (kind === "datetime") return input.value ? new Date(input.value).toISOString() : null;
    return input.value.trim() || null;
  }

  /* ---- one ticket, opened -------------------------------------------------------------------------- */
  function renderTicket(box, ticketId, refreshList, contact) {
    const byEmail = contact.channel === "email";
    const head = el("div", { class: "ticket-head" });
    const moves = el("div", { class: "buttons ticket-transitions" });
    const moveForm = el("form", { class: "ticket-transition-form", hidden: "" });
    const comments = el("ol", { class: "ticket-comments" });
    const error = el("p", { class: "error", role: "alert", hidden: "" });
    const sent = el("p", { class: "muted ticket-comment-status", role: "status" });
    const note = el("textarea", { rows: "2", maxlength: "4000", class: "ticket-comment-text" });
    note.setAttribute("aria-label", t("ticket.comment"));
    const kindName = "comment-kind-" + ticketId;
    const kinds = el("span", { class: "comment-kinds" });
    for (const kind of ["note", "reply"]) {
      const radio = el("input", { type: "radio", name: kindName, value: kind });
      radio.checked = kind === "note";
      const label = kind === "reply" && byEmail ? "ticket.comment.reply.email" : "ticket.comment." + kind;
      kinds.append(el("label", { class: "check" }, radio, document.createTextNode(t(label))));
    }
    const commentForm = el(
      "form",
      { class: "ticket-comment-form" },
      note,
      el("div", { class: "buttons" }, kinds, el("button", { type: "submit", class: "primary", text: t("ticket.comment.add") })),
    );
    box.replaceChildren(head, moves, moveForm, el("h4", { text: t("ticket.comments") }), comments, commentForm, sent, error);
    box.dataset.ticket = ticketId;
    box.hidden = false;

    function showError(failure) {
      error.hidden = !failure;
      error.textContent = failure ? failureText(failure) : "";
    }

    async function load() {
      try {
        const [ticket, allowed, said] = await Promise.all([
          api("GET", ticketPath(ticketId)),
          api("GET", ticketPath(ticketId, "/transitions")),
          api("GET", ticketPath(ticketId, "/comments")),
        ]);
        if (box.dataset.ticket !== ticketId) return;
        const facts = [
          labelOr("ticket.type." + ticket.type, ticket.type),
          labelOr("ticket.priority." + ticket.priority, ticket.priority),
        ];
        if (ticket.level) facts.push(t("ticket.level.n", { level: ticket.level }));
        head.replaceChildren(
          el("strong", { text: ticket.id + " · " + ticket.subject }),
          el("span", { class: "badge ticket-state", "data-state": ticket.state, text: stateLabel(ticket.state) }),
          el("span", { class: "muted", text: facts.join(" · ") }),
        );
        moves.replaceChildren();
        for (const move of allowed) {
          const button = el("button", {
            type: "button",
            "data-transition": move.name,
            text: t("ticket.transition", { name: doLabel(move.name), state: labelOr("ticket.state." + move.to, move.to_label) }),
          });
          button.addEventListener("click", () => askFor(move));
          moves.append(button);
        }
        if (!allowed.length) moves.append(el("span", { class: "muted", text: t("ticket.transitions.none") }));
        comments.replaceChildren(
          ...said.map((c) =>
            el(
              "li",
              { class: "comment " + c.kind, "data-kind": c.kind },
              el("span", { class: "who", text: t("ticket.comment." + c.kind) + " · " + clockTime(c.at) }),
              el("span", { class: "text", text: (c.data && c.data.body) || "" }),
            ),
          ),
        );
        if (!said.length) comments.append(el("li", { class: "muted", text: t("ticket.comments.none") }));
      } catch (failure) {
        showError(failure);
      }
    }

    function askFor(move) {
      const inputs = move.requires.map(fieldInput);
      const apply = el("button", {
        type: "submit",
        class: "go",
        text: t("ticket.transition.apply", { name: doLabel(move.name) }),
      });
      const cancel = el("button", { type: "button", text: t("ticket.cancel") });
      cancel.addEventListener("click", () => {
        moveForm.hidden = true;
        moveForm.replaceChildren();
      });
      moveForm.replaceChildren(...inputs, el("div", { class: "buttons" }, apply, cancel));
      moveForm.dataset.transition = move.name;
      moveForm.hidden = false;
      if (!move.requires.length) moveForm.requestSubmit(apply); // nothing to ask: take it now
    }

    moveForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = {};
      for (const input of moveForm.querySelectorAll("[data-field]")) {
        const value = fieldValue(input);
        if (value !== null) fields[input.dataset.field] = value;
      }
      try {
        await api("POST", ticketPath(ticketId, "/transitions"), { name: moveForm.dataset.transition, fields });
        moveForm.hidden = true;
        moveForm.replaceChildren();
        showError(null);
        await load();
        refreshList();
      } catch (failure) {
        showError(failure);
      }
    });

    commentForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = note.value.trim();
      if (!body) return;
      const kind = commentForm.querySelector("input[name='" + kindName + "']:checked").value;
      try {
        sent.textContent = "";
        if (kind === "reply" && byEmail) {
          const reply = { body };
          const address = (contact.attributes || {}).email;
          if (address) reply.to = address; // else the server writes to the ticket's customer's address
          const queued = await api("POST", ticketPath(ticketId, "/email-replies"), reply);
          sent.textContent = t("email.sent", { to: queued.recipient, ticket: queued.ticket_id });
        } else {
          // a reply on a ticket with a customer email (one that began as an email, say) is emailed too
          const added = await api("POST", ticketPath(ticketId, "/comments"), { kind, body });
          if (added.email) sent.textContent = t("email.sent", { to: added.email.recipient, ticket: ticketId });
        }
        note.value = "";
        showError(null);
        await load();
      } catch (failure) {
        showError(failure);
      }
    });

    return load();
  }

  /* ---- the new-ticket form --------------------------------------------------------------------------- */
  function newTicketForm(contact, customer, created) {
    const a = contact.attributes || {};
    const type = el("select", { class: "ticket-type", name: "type" });
    const level = el("select", { class: "ticket-level", name: "level" });
    for (const n of [1, 2, 3]) level.append(el("option", { value: String(n), text: t("ticket.level.n", { level: n }) }));
    const levelLabel = el("label", { class: "ticket-level-label" }, document.createTextNode(t("ticket.level")), level);
    const priority = el("select", { class: "ticket-priority", name: "priority" });
    const subject = el("input", { class: "ticket-subject", name: "subject", maxlength: "200", required: "" });
    subject.value = (a.subject || contact.intent || "").slice(0, 200);
    const description = el("textarea", { class: "ticket-description", name: "description", rows: "2", maxlength: "20000" });
    const error = el("p", { class: "error", role: "alert", hidden: "" });
    const submit = el("button", { type: "submit", class: "primary ticket-create", text: t("ticket.create") });
    const form = el(
      "form",
      { class: "ticket-new-form" },
      el("div", { class: "ticket-new-grid" },
        el("label", {}, document.createTextNode(t("ticket.type")), type),
        levelLabel,
        el("label", {}, document.createTextNode(t("ticket.priority")), priority),
      ),
      el("label", {}, document.createTextNode(t("ticket.subject")), subject),
      el("label", {}, document.createTextNode(t("ticket.description")), description),
      el("div", { class: "buttons" }, submit),
      error,
    );
    let known = [];
    types().then(
      (found) => {
        known = found;
        for (const each of found) type.append(el("option", { value: each.type, text: labelOr("ticket.type." + each.type, each.type) }));
        for (const p of found.length ? found[0].priorities : []) {
          priority.append(el("option", { value: p, text: labelOr("ticket.priority." + p, p) }));
        }
        priority.value = "normal";
        sync();
      },
      (failure) => {
        error.hidden = false;
        error.textContent = failureText(failure);
        submit.disabled = true;
      },
    );
    function sync() {
      const chosen = known.find((each) => each.type === type.value);
      levelLabel.hidden = !chosen || !chosen.levels.length;
    }
    type.addEventListener("change", sync);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      // recorded in this contact (an email's sender is where later replies go)
      const body = { type: type.value, subject: subject.value.trim(), priority: priority.value, contact_id: contact.id };
      if (!levelLabel.hidden) body.level = Number(level.value);
      if (description.value.trim()) body.description = description.value.trim();
      if (customer) body.customer_id = customer;
      if (contact.site) body.site_id = contact.site;
      submit.disabled = true;
      try {
        const ticket = await api("POST", "/api/tickets", body);
        error.hidden = true;
        form.reset();
        sync();
        priority.value = "normal";
        created(ticket);
      } catch (failure) {
        error.hidden = false;
        error.textContent = failureText(failure);
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  /* ---- the panel ------------------------------------------------------------------------------------ */
  desktop.panels.register("tickets", async (slot, contact) => {
    const found = desktop.customerOf ? await desktop.customerOf(contact) : null;
    const customer = found ? found.id : contact.customer_id || null;
    const title = el("h3", {
      text: customer ? t("ticket.title.customer", { customer: found ? found.display_name : customer }) : t("ticket.title"),
    });
    const list = el("ul", { class: "ticket-list" });
    const status = el("p", { class: "muted ticket-list-status" });
    const opened = el("div", { class: "ticket-detail", hidden: "" });
    const fresh = el("details", { class: "ticket-new" }, el("summary", { text: t("ticket.new") }));

    async function refreshList() {
      let rows = [];
      try {
        if (customer) {
          const query = new URLSearchParams({ customer_id: customer, open: "true", limit: "20" });
          rows = await api("GET", "/api/tickets?" + query);
        } else {
          const ids = made.get(contact.id) || [];
          rows = await Promise.all(ids.map((id) => api("GET", ticketPath(id))));
        }
      } catch (failure) {
        status.textContent = failureText(failure);
        return;
      }
      list.replaceChildren();
      for (const row of rows) {
        const open = el("button", { type: "button", class: "link-button ticket-open", text: row.id + " · " + row.subject });
        open.addEventListener("click", () => renderTicket(opened, row.id, refreshList, contact));
        list.append(
          el(
            "li",
            { "data-ticket": row.id, "data-state": row.state },
            open,
            el("span", { class: "badge ticket-state", "data-state": row.state, text: stateLabel(row.state) }),
            el("span", { class: "muted", text: labelOr("ticket.type." + row.type, row.type) }),
          ),
        );
      }
      status.textContent = rows.length ? "" : t("ticket.none");
    }

    fresh.append(
      newTicketForm(contact, customer, async (ticket) => {
        made.set(contact.id, [...(made.get(contact.id) || []), ticket.id]);
        document.dispatchEvent(new CustomEvent("baiying:ticket", { detail: { contact, ticket } }));
        fresh.open = false;
        await refreshList();
        await renderTicket(opened, ticket.id, refreshList, contact);
      }),
    );
    slot.append(title, status, list, opened, fresh);
    await refreshList();
    return true;
  });
})();
