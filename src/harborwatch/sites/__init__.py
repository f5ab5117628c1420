"""Watched sites (ports, anchorages, terminals, border crossings) and how to derive them."""

from harborwatch.sites.catalogue import KINDS, PORT_KINDS, SiteCatalogue, SiteIndex

__all__ = ["KINDS", "PORT_KINDS", "SiteCatalogue", "SiteIndex"]
