"""What an uploaded image must be before a project keeps it.

Pillow reads the header and verifies the file, so a renamed script or a truncated file
is refused; the pixel limit stops decompression bombs before any pixel is decoded.
"""

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

# Formats every browser shows; the served Content-Type comes from this table, never
# from what the uploader claimed.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES = {extension: content_type for extension, content_type in FORMATS.values()}


class ImageFileError(ValueError):
    """The file is not an image the project can keep; the message says why."""


@dataclass(frozen=True)
class ImageInfo:
    sha256: str
    extension: str
    content_type: str
    width: int
    height: int


def inspect_image(stream: BinaryIO, *, max_pixels: int) -> ImageInfo:
    """Check the file is a whole image of a browser-safe format and describe it."""
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1024 * 1024), b""):
        digest.update(block)
    try:
        stream.seek(0)
        with Image.open(stream) as image:
            kind, (width, height) = image.format, image.size
            if width * height > max_pixels:
                raise ImageFileError(f"the image is {width}x{height} pixels; the limit is {max_pixels:,} pixels")
            image.verify()
    except ImageFileError:
        raise
    except Image.DecompressionBombError:
        raise ImageFileError(f"the image has more than {max_pixels:,} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageFileError(f"not a readable image ({exc.__class__.__name__})") from None
    finally:
        stream.seek(0)
    if kind not in FORMATS:
        raise ImageFileError(f"{kind} images are not supported; use JPEG, PNG, GIF or WebP")
    extension, content_type = FORMATS[kind]
    return ImageInfo(digest.hexdigest(), extension, content_type, width, height)
