"""Journeys in headless Chromium against a live server: sign-in, htmx loading, accessibility."""
