/* The knowledge base in the agent desktop: the search card (GET /api/kb/search: results best first, the
 * matched words highlighted; an article opens in the card) and the screen pop's "kb-suggestions" panel
 * (POST /api/kb/suggest with what the contact said: its intent, subject and text, a chat's visitor lines).
 *
 * Highlights are built as nodes from the API's plain text and its (start, end) ranges: nothing the API
 * sends is ever parsed as HTML. Exposes Baiying.desktop.kb = {open(articleId), marked(text, ranges)}. */
"use strict";
(function () {
  const { t, api, el } = window.Baiying;
  const desktop = window.Baiying.desktop;
  const $ = (id) => document.getElementById(id);
  const RESULTS = 10;
  const SUGGESTIONS = 3;
  const SUGGEST_CHARS = 4000;


  /* `text` with the ranges in <mark>, as nodes. The server counts characters as code points (Python), so
   * the text is split the same way; a range that does not fit (overlapping, outside) is left unmarked. */
  function marked(text, ranges) {
    const chars = Array.from(text || "");
    const fragment = document.createDocumentFragment();
    let at = 0;
    for (const range of ranges || []) {
      const [start, end] = range;
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < at || end <= start || end > chars.length) {
        continue;
      }
      fragment.append(document.createTextNode(chars.slice(at, start).join("")));
      fragment.append(el("mark", { text: chars.slice(start, end).join("") }));
      at = end;
    }
    fragment.append(document.createTextNode(chars.slice(at).join("")));
    return fragment;
  }

  function status(message) {
    const line = $("kb-status");
    line.textContent = message || "";
    line.hidden = !message;
  }

  function resultItem(result) {
    const item = el("li", { class: "kb-result" });
    item.dataset.article = result.article_id;
    const open = el("button", { class: "link-button kb-open" });
    open.type = "button";
    open.append(marked(result.title, result.title_marks));
    open.addEventListener("click", () => openArticle(result.article_id));
    const snippet = el("p", { class: "kb-snippet" });
    snippet.append(marked(result.snippet, result.snippet_marks));
    item.append(open, snippet);
    return item;
  }

  let searching = 0;
  async function search(query) {
    const mine = ++searching;
    $("kb-article").hidden = true;
    $("kb-results").hidden = false;
    status(t("kb.searching"));
    try {
      const found = await api("GET", "/api/kb/search?" + new URLSearchParams({ q: query, limit: RESULTS }));
      if (mine !== searching) return;
      $("kb-results").replaceChildren(...found.results.map(resultItem));
      status(found.results.length ? t("kb.count", { count: found.results.length }) : t("kb.none", { query }));
    } catch (failure) {
      if (mine !== searching) return;
      $("kb-results").replaceChildren();
      status(failure.code === "empty-search-query" ? t("kb.empty") : t("error.generic", { message: failure.message }));
    }
  }

  async function openArticle(articleId) {
    status(t("kb.opening"));
    try {
      const article = await api("GET", "/api/kb/articles/" + encodeURIComponent(articleId));
      $("kb-article-title").textContent = article.title;
      $("kb-article-body").textContent = article.body;
      $("kb-article").dataset.article = article.id;
      $("kb-article").hidden = false;
      $("kb-results").hidden = true;
      status("");
      $("kb-card").scrollIntoView({ block: "nearest" });
    } catch (failure) {
      status(t("error.generic", { message: failure.message }));
    }
  }

  $("kb-search").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("kb-query").value.trim();
    if (query) search(query);
  });
  $("kb-back").addEventListener("click", () => {
    $("kb-article").hidden = true;
    $("kb-results").hidden = false;
    status("");
  });

  /* What the contact is about, in its own words: the intent and the attributes a channel fills in, and
   * for a chat what the visitor wrote. */
  async function contactText(contact) {
    const a = contact.attributes || {};
    const parts = [contact.intent, a.intent, a.topic, a.subject, a.text].filter((p) => typeof p === "string" && p);
    if (contact.channel === "chat") {
      try {
        const found = await api("GET", "/api/chat/contacts/" + encodeURIComponent(contact.id) + "/messages");
        for (const message of found.messages) if (message.sender === "visitor") parts.push(message.text);
      } catch (_) {
        /* suggestions from the intent alone */
      }
    }
    return parts.join("\n").slice(0, SUGGEST_CHARS).trim();
  }

  desktop.panels.register("kb-suggestions", async (slot, contact) => {
    const text = await contactText(contact);
    if (!text) return false;
    let found;
    try {
      found = await api("POST", "/api/kb/suggest", { text, limit: SUGGESTIONS });
    } catch (_) {
      return false; // suggestions are a help, not a must: the search card still works
    }
    if (!found.results.length) return false;
    const list = el("ul", { class: "kb-suggested" });
    for (const result of found.results) {
      const item = el("li");
      item.dataset.article = result.article_id;
      const open = el("button", { class: "link-button kb-open", text: result.title });
      open.type = "button";
      open.addEventListener("click", () => openArticle(result.article_id));
      item.append(open);
      list.append(item);
    }
    slot.append(el("h3", { text: t("kb.suggested") }), list);
    return true;
  });

  desktop.kb = { open: openArticle, marked };
})();
