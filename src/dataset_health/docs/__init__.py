"""Dataset-health pages added to the GX Data Docs site."""

from dataset_health.docs.history import render_history_site

__all__ = ["render_history_site"]
