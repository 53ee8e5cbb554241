"""Models live here."""
