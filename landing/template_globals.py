"""What every page template sees: site name, base URL, asset URLs and the facility's brand."""

from __future__ import annotations

from typing import Any

from .blueprint import asset_url, bp
from .brand import brand
from .context import base_url, site_name


@bp.app_context_processor  # app-wide: error pages of other routes use the same base template
def _globals() -> dict[str, Any]:
    return {"site_name": site_name(), "base_url": base_url(), "asset_url": asset_url, "brand": brand()}
