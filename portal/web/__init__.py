"""Shared request helpers: htmx detection, fragment rendering, security headers, errors."""
