"""The push API: the intranet's way in, and SciCat's drop-in routes."""
