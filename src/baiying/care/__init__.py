"""Care and next-best offers (pure): the cheapest plan for a customer's real usage, reminders (birthday,
plan or warranty expiring, allowance left unused), and offer rules over customer, product, usage and contact
attributes. Storage and the screen pop call in with plain facts and the date; nothing here does I/O."""
