"""Storage back ends: where originals and thumbnails live."""
