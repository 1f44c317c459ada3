"""Schema revisions, oldest first (`0001_initial`, …); each is applied in one transaction."""
