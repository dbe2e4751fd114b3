"""Pure helpers with no models: working days, national ids, redaction."""
