"""HubCat's sensor profile for pycsw (ebRIM-like STA/SOS profile, ISO 19139 writer)."""
