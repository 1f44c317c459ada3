"""Customer web chat, the pure part: what a message may hold, how fast a visitor may write, and the
transcript kept on the contact. Storage is `baiying.storage.chat_tables`, HTTP `baiying.api.routes.chat`."""
