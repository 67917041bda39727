"""Which image each component runs in: the content-hash tags Pants built for this commit.

The reading lives in `mlops.images`, shared with the image tests; this module keeps the CLI's
import path.
"""

from __future__ import annotations

from mlops.images import ImagesError, built_images

__all__ = ["ImagesError", "built_images"]
