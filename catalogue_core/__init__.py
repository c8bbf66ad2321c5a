"""The published record, its crosswalks and its stores; shared by both sides of the firewall."""
