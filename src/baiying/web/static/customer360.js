/* The customer 360 in the agent desktop: the screen pop's panels, from GET /api/screen-pop (the customer
 * found by the contact's phone, email or chat id, merged customers resolved on the server).
 *
 * - offer card: who is calling (name and tier, the repeat-contact banner) while the offer rings;
 * - "repeat-contact": the banner ("3rd contact today, last at 10:42 (billing, unresolved)");
 * - "customer-360": the profile and the products, or a clear "new customer" state;
 * - "interactions": the last interactions across channels (a chat's transcript opens in place);
 * - "reminders" and "offers": the care section; each offer records "shown" once per contact, and the
 *   agent's accept / decline / later with POST /api/care/offers/outcomes.
 *
 * One request per contact: the offer's and the accepted contact's panels share it. Everything the server
 * sends is set as text (never as HTML). */
"use strict";
(function () {
  const { t, api, clockTime, el } = window.Baiying;
  const desktop = window.Baiying.desktop;
  const lang = document.documentElement.lang.startsWith("zh") ? "zh" : "en";
  const pops = new Map(); // contact id -> Promise of {lookup, pop} | {lookup, error} | {lookup: null}
  const KEEP = 20;
  const SHOWN_KEY = "baiying.offers.shown";

  function lookupOf(contact) {
    const a = contact.attributes || {};
    for (const key of ["phone", "caller_number", "caller", "ani"]) {
      if (typeof a[key] === "string" && a[key]) return { phone: a[key] };
    }
    if (typeof a.email === "string" && a.email) return { email: a.email };
    // A web chat's id is new with each conversation: no customer can hold it.
    const chat = typeof a.chat_id === "string" ? a.chat_id : "";
    if (chat && !chat.startsWith("web:")) return { chat_id: chat };
    return null;
  }

  function popOf(contact) {
    if (!pops.has(contact.id)) {
      const lookup = lookupOf(contact);
      let promise = Promise.resolve({ lookup: null });
      if (lookup) {
        const query = new URLSearchParams({ ...lookup, contact_id: contact.id, lang });
        promise = api("GET", "/api/screen-pop?" + query).then(
          (pop) => ({ lookup, pop }),
          (error) => ({ lookup, error }),
        );
      }
      pops.set(contact.id, promise);
      while (pops.size > KEEP) pops.delete(pops.keys().next().value);
    }
    return pops.get(contact.id);
  }

  /* The customer on record behind a contact (merged customers resolved), or null: for the ticket and
   * email panels, which share the pop's one request. */
  desktop.customerOf = (contact) =>
    popOf(contact).then((result) => (result.pop && result.pop.found ? result.pop.customer : null));

  function lookupText(lookup) {
    return lookup ? Object.values(lookup)[0] : null;
  }

  function errorText(error) {
    return t("c360.error", { message: error.message || error.code || String(error) });
  }

  function tierLabel(customer) {
    return [customer.tier, customer.segment].filter(Boolean).join(" · ");
  }

  /* ---- the offer card: who is calling ------------------------------------------------------------- */
  const offerBox = document.getElementById("offer-customer");
  let offerFor = null;
  document.addEventListener("baiying:offer", (event) => {
    const contact = event.detail;
    if (!offerBox) return;
    if (!contact) {
      offerFor = null;
      offerBox.replaceChildren();
      offerBox.hidden = true;
      return;
    }
    if (offerFor === contact.id) return;
    offerFor = contact.id;
    offerBox.replaceChildren();
    offerBox.hidden = true;
    popOf(contact).then((result) => {
      if (offerFor !== contact.id) return;
      const lines = [];
      if (result.error) lines.push(el("p", { class: "error", text: errorText(result.error) }));
      else if (!result.pop || !result.pop.found) lines.push(el("p", { class: "new-customer", text: t("c360.new") }));
      else {
        const customer = result.pop.customer;
        lines.push(el("p", { class: "offer-name", text: customer.display_name }, tierBadge(customer)));
        if (result.pop.banner) lines.push(el("p", { class: "offer-banner", text: result.pop.banner }));
      }
      offerBox.replaceChildren(...lines);
      offerBox.hidden = false;
    });
  });

  function tierBadge(customer) {
    const label = tierLabel(customer);
    return label ? el("span", { class: "badge tier", text: label }) : null;
  }

  /* ---- panels ------------------------------------------------------------------------------------ */
  desktop.panels.register("repeat-contact", async (slot, contact) => {
    const result = await popOf(contact);
    if (!result.pop || !result.pop.found || !result.pop.banner) return false;
    slot.append(el("strong", { text: result.pop.banner }));
    return true;
  });

  desktop.panels.register("customer-360", async (slot, contact) => {
    const result = await popOf(contact);
    if (result.error) {
      slot.append(el("h3", { text: t("c360.title") }), el("p", { class: "error", text: errorText(result.error) }));
      return true;
    }
    if (!result.pop || !result.pop.found) {
      slot.classList.add("is-new");
      const looked = result.pop && result.pop.lookup ? result.pop.lookup.value : lookupText(result.lookup);
      const detail = result.lookup
        ? t("c360.new.detail", { value: looked })
        : t(contact.channel === "chat" ? "c360.new.visitor" : "c360.new.nothing");
      slot.append(el("h3", { class: "new-customer", text: t("c360.new") }), el("p", { class: "muted", text: detail }));
      return true;
    }
    slot.classList.remove("is-new");
    const { customer, sections } = result.pop;
    const facts = el("dl", { class: "facts compact" });
    const fact = (key, value) => {
      if (value === null || value === undefined || value === "") return;
      facts.append(el("dt", { text: t(key) }), el("dd", { text: value }));
    };
    fact("c360.id", customer.id);
    fact("c360.tier", tierLabel(customer));
    fact("c360.language", [customer.language, customer.dialect].filter(Boolean).join(" · "));
    fact("c360.region", customer.region);
    for (const point of customer.contact_points || []) fact("c360.point." + point.kind, point.value);
    const products = (sections && sections.products) || [];
    const list = el("ul", { class: "products" });
    for (const product of products) {
      const plan = product.plan ? " · " + product.plan : "";
      const state = product.active ? "" : " (" + t("c360.product.inactive") + ")";
      list.append(el("li", { "data-product": product.id, text: product.name + plan + state }));
    }
    slot.append(
      el("h3", { class: "customer-name", text: customer.display_name }),
      facts,
      el("h4", { text: t("c360.products") }),
      products.length ? list : el("p", { class: "muted", text: t("c360.products.none") }),
    );
    return true;
  });

  function interactionLine(item) {
    const when = new Date(item.at * 1000).toLocaleString(document.documentElement.lang, {
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
    const channel = t("channel." + item.channel);
    const parts = [
      channel.startsWith("channel.") ? item.channel : channel,
      item.topic || t("c360.topic.none"),
      labelOr("outcome." + item.outcome, item.outcome),
    ];
    if (item.resolution) parts.push(labelOr("resolution." + item.resolution, item.resolution));
    const row = el(
      "li",
      { "data-source": item.source_id, "data-channel": item.channel },
      el("span", { class: "when", text: when }),
      el("span", { text: " " + parts.join(" · ") }),
    );
    if (item.channel === "chat" && item.source === "contact") row.append(transcriptToggle(item.source_id));
    return row;
  }

  function labelOr(key, fallback) {
    const label = t(key);
    return label === key ? fallback : label;
  }

  function transcriptToggle(contactId) {
    const box = el("div", { class: "transcript", hidden: "" });
    const button = el("button", { type: "button", class: "link-button show-transcript", text: t("c360.transcript") });
    button.addEventListener("click", async () => {
      if (!box.hidden) {
        box.hidden = true;
        return;
      }
      box.replaceChildren();
      try {
        const found = await api("GET", "/api/chat/contacts/" + encodeURIComponent(contactId) + "/messages");
        for (const message of found.messages) {
          box.append(
            el(
              "p",
              { class: "line " + message.sender },
              el("span", { class: "who", text: message.author + " " + clockTime(message.at) + ": " }),
              el("span", { text: message.text }),
            ),
          );
        }
        if (!found.messages.length) box.append(el("p", { class: "muted", text: t("chat.empty") }));
      } catch (error) {
        box.append(el("p", { class: "error", text: errorText(error) }));
      }
      box.hidden = false;
    });
    return el("span", {}, " ", button, box);
  }

  desktop.panels.register("interactions", async (slot, contact) => {
    const result = await popOf(contact);
    if (!result.pop || !result.pop.found) return false;
    const items = ((result.pop.sections && result.pop.sections.interactions) || []).filter(
      (item) => item.source_id !== contact.id,
    );
    slot.append(el("h3", { text: t("c360.interactions") }));
    if (!items.length) {
      slot.append(el("p", { class: "muted", text: t("c360.interactions.none") }));
      return true;
    }
    slot.append(el("ul", { class: "interactions" }, ...items.map(interactionLine)));
    return true;
  });

  function careOf(result) {
    return (result.pop && result.pop.found && result.pop.sections && result.pop.sections.care) || null;
  }

  desktop.panels.register("reminders", async (slot, contact) => {
    const care = careOf(await popOf(contact));
    if (!care || !care.reminders.length) return false;
    slot.append(
      el("h3", { text: t("c360.reminders") }),
      el("ul", {}, ...care.reminders.map((r) => el("li", { "data-kind": r.kind, text: r.text }))),
    );
    return true;
  });

  function shownAlready(key) {
    try {
      return (JSON.parse(sessionStorage.getItem(SHOWN_KEY) || "[]") || []).includes(key);
    } catch (_) {
      return false;
    }
  }

  function rememberShown(key) {
    try {
      const keys = JSON.parse(sessionStorage.getItem(SHOWN_KEY) || "[]") || [];
      keys.push(key);
      sessionStorage.setItem(SHOWN_KEY, JSON.stringify(keys.slice(-200)));
    } catch (_) {
      /* private mode: "shown" may be recorded again after a reload */
    }
  }

  function money(fen) {
    return (fen / 100).toFixed(2);
  }

  desktop.panels.register("offers", async (slot, contact) => {
    const result = await popOf(contact);
    const care = careOf(result);
    if (!care || !care.offers.length) return false;
    const customerId = result.pop.customer.id;
    const list = el("ul", { class: "offers" });
    for (const offer of care.offers) {
      const status = el("span", { class: "offer-status", "aria-live": "polite" });
      const buttons = el("span", { class: "buttons" });
      const record = async (outcome) => {
        const body = { customer_id: customerId, offer_id: offer.id, outcome, contact_id: contact.id };
        return api("POST", "/api/care/offers/outcomes", body);
      };
      for (const [outcome, style] of [
        ["accepted", "go"],
        ["declined", "danger"],
        ["later", ""],
      ]) {
        const button = el("button", {
          type: "button",
          class: style,
          "data-outcome": outcome,
          text: t("offer." + outcome),
        });
        button.addEventListener("click", async () => {
          for (const b of buttons.querySelectorAll("button")) b.disabled = true;
          try {
            await record(outcome);
            status.textContent = t("offer.recorded." + outcome);
            status.dataset.outcome = outcome;
          } catch (error) {
            status.textContent = errorText(error);
            for (const b of buttons.querySelectorAll("button")) b.disabled = false;
          }
        });
        buttons.append(button);
      }
      const saving =
        typeof offer.monthly_saving_fen === "number" && offer.monthly_saving_fen > 0
          ? el("p", { class: "saving", text: t("offer.saving", { amount: money(offer.monthly_saving_fen) }) })
          : null;
      list.append(
        el(
          "li",
          { "data-offer": offer.id },
          el("strong", { text: offer.title }),
          el("p", { class: "pitch", text: offer.pitch }),
          saving,
          buttons,
          status,
        ),
      );
      const key = contact.id + ":" + offer.id;
      if (!shownAlready(key)) {
        rememberShown(key);
        record("shown").catch(() =>
          // once more a moment later (the server may have been busy); then the report misses one
          setTimeout(() => record("shown").catch(() => {}), 1000),
        );
      }
    }
    slot.append(el("h3", { text: t("c360.offers") }), list);
    return true;
  });
})();
