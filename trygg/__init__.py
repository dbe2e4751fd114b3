"""Trygg: welfare technology for municipal home care."""
