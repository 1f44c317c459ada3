"""Customers and their interactions (issue 5): the pure core.

Models (`model`), contact-point normalisation to E.164 (`contacts`), matching and duplicate detection
(`matching`), the merge rule (`merging`), CSV mapping and parsing (`mapping`, `importing`), and the timeline
arithmetic: repeat contacts, category counts, first-contact resolution (`interactions`). No I/O, no clock:
storage is `baiying.storage.repositories.customers`, HTTP is `baiying.api.routes.customers`.
"""
