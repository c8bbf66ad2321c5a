"""Published files: the copier (intranet side) and download serving (DMZ side)."""
