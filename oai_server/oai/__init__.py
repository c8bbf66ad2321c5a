"""OAI-PMH 2.0 provider: argument rules, response builders, resumption tokens, the /oai route."""
