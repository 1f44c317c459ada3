"""Channel adapters: they turn what arrives on a channel (an email, later a chat or an SMS) into contacts
and ticket replies through the same HTTP API every other client uses."""
