"""The knowledge base's core (pure): articles with versions, states and per-channel visibility
(`model`), tokenisation of Chinese and English text (`text`), BM25 ranking (`ranking`) and highlighting of
matched terms (`highlight`).

Storage keeps articles and the search index (FTS5 on SQLite, tsvector on PostgreSQL) over the text this
package segments; the ranking formula here is the one both databases compute, so results come back in
the same order on either.
"""
