"""`recode reproduce`: every experiment of the paper with results, one command each (see docs/reproduce.md)."""
