"""The operator console: server-rendered pages under /console (htmx, no build step)."""
